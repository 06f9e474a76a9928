"""Problem suggestions keep the look-back's read a minute (hub/lookback_cache.py), and drop it at once when a person
changes which incidents are in a problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from hub import problem_links, problems, triage
from hub.agent_action import Actor
from hub.db import Database
from hub.lookback_cache import TTL, LookbackCache
from hub.models import Incident
from hub.problems import Recurrence
from hub.recurrence import Suggestion
from tests.web.helpers import statements

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RECURRENCE = Recurrence(threshold=3, window=timedelta(days=7), lookback=timedelta(days=90))
SOON = NOW + timedelta(seconds=30)
ANN = Actor("ann@example.com")


def _weekly_backup(db: Database, **grouped_by: str | None) -> list[int]:
    """Ten Monday-night backup failures, all older than the window: a periodic suggestion only the look-back finds;
    their ids, newest first. Grouped by their dedup key unless `grouped_by` says otherwise."""
    rows = [{"title": "Backup failed", "source": "generic", "status": "resolved", "dedup_key": "backup",
             "first_seen": NOW - timedelta(days=7 * week, hours=10), "last_seen": NOW - timedelta(days=7 * week),
             **grouped_by}
            for week in range(10, 0, -1)]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(Incident), rows)
        return sorted(session.scalars(select(Incident.id)), reverse=True)


def _listed(db: Database, kept: LookbackCache | None, now: datetime = SOON) -> list[Suggestion]:
    with db.read() as session:
        return problems.suggestions(session, RECURRENCE, now, kept)


def _reads_look_back(sent: list[str]) -> bool:
    """Whether a listing grouped the look-back (hub/recurrence_scan.py `possible_schedules`)."""
    return any("GROUP BY" in statement for statement in sent)


def test_the_desk_has_a_suggestion_only_the_look_back_finds(database: Database) -> None:
    _weekly_backup(database)
    [found] = _listed(database, None)
    assert found.pattern == "periodic" and found.count == 10


def test_a_second_listing_within_the_ttl_reads_no_look_back_and_suggests_the_same(database: Database) -> None:
    _weekly_backup(database)
    kept = LookbackCache()
    with statements(database) as first:
        _listed(database, kept, NOW)
    with statements(database) as second:
        again = _listed(database, kept, SOON)
    assert _reads_look_back(first) and not _reads_look_back(second), second
    # the window's incidents and the problems covering recurrences (the revisions go straight to the driver's
    # cursor, hub/prepared.py, which these hooks do not see)
    assert len(second) == 2, second
    assert again == _listed(database, None, SOON)


def test_the_look_back_is_read_again_once_the_ttl_has_passed(database: Database) -> None:
    _weekly_backup(database)
    kept = LookbackCache()
    _listed(database, kept, NOW)
    with statements(database) as sent:
        _listed(database, kept, NOW + TTL)
    assert _reads_look_back(sent)


def test_other_settings_read_the_look_back_for_themselves(database: Database) -> None:
    _weekly_backup(database)
    kept = LookbackCache()
    _listed(database, kept, NOW)
    with statements(database) as sent, database.read() as session:
        stricter = problems.suggestions(session, Recurrence(threshold=11, lookback=RECURRENCE.lookback), SOON, kept)
    assert _reads_look_back(sent) and stricter == []


def test_a_problem_filed_from_a_suggestion_is_not_suggested_on_the_next_listing(database: Database) -> None:
    _weekly_backup(database)
    kept = LookbackCache()
    [found] = _listed(database, kept, NOW)
    problems.create_from_suggestion(database, found.key, ANN.name, RECURRENCE, NOW)
    with statements(database) as sent:
        assert _listed(database, kept) == []
    assert _reads_look_back(sent)  # its incidents are in a problem now: what was kept is not


def test_linking_an_old_incident_to_a_problem_ends_its_recurrences_suggestion_at_once(database: Database) -> None:
    made = _weekly_backup(database)
    kept = LookbackCache()
    assert len(_listed(database, kept, NOW)) == 1
    elsewhere = problems.create(database, "Storage array faults", ANN.name)
    problem_links.link(database, made[-1], elsewhere, ANN)
    assert _listed(database, kept) == []


def test_unlinking_the_incident_brings_the_suggestion_back_at_once(database: Database) -> None:
    made = _weekly_backup(database)
    elsewhere = problems.create(database, "Storage array faults", ANN.name)
    problem_links.link(database, made[-1], elsewhere, ANN)
    kept = LookbackCache()
    assert _listed(database, kept, NOW) == []
    problem_links.unlink(database, made[-1], ANN)
    [found] = _listed(database, kept)
    assert found.count == 10


def test_correcting_the_category_of_an_incident_grouped_by_it_shows_at_once(database: Database) -> None:
    made = _weekly_backup(database, dedup_key=None, service="backup", category="storage")
    kept = LookbackCache()
    [found] = _listed(database, kept, NOW)
    assert found.count == 10
    triage.categorise(database, made[-1], ANN, category="network")
    [found] = _listed(database, kept)
    assert found.count == 9  # the corrected one is in another group now


def test_correcting_the_category_of_an_incident_grouped_by_its_dedup_key_keeps_the_look_back(
    database: Database,
) -> None:
    made = _weekly_backup(database)
    kept = LookbackCache()
    _listed(database, kept, NOW)
    triage.categorise(database, made[-1], ANN, category="network")
    with statements(database) as sent:
        [found] = _listed(database, kept)
    assert found.count == 10 and not _reads_look_back(sent)


def test_closing_a_problem_shows_its_recurrence_at_once_without_a_new_read(database: Database) -> None:
    """Which problems cover a recurrence is read on every listing, so a state change needs no revision."""
    made = _weekly_backup(database)
    [found] = _listed(database, None, NOW)
    problem_id = problems.create_from_suggestion(database, found.key, ANN.name, RECURRENCE, NOW)
    for incident_id in made:  # the problem still names the recurrence, and covers it while active
        problem_links.unlink(database, incident_id, ANN)
    kept = LookbackCache()
    assert _listed(database, kept, NOW) == []
    problems.update_problem(database, problem_id, ANN.name, state="closed")
    with statements(database) as sent:
        assert [s.key for s in _listed(database, kept)] == [found.key]
    assert not _reads_look_back(sent)
