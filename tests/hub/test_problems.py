"""Problems made from recurrences, their states, and new incidents joining them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub import problems, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import Action, InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, OutboxMessage, Problem, utcnow
from hub.outbox import body_of
from hub.problems import ProblemError, next_state

RAW = Raw(source="generic", content_type="application/json", body=b"{}")


def recur(intake: Intake, times: int, key: str = "disk-db1") -> list[int]:
    """Open and resolve an alert `times` times: the same trouble coming back."""
    made = []
    for _ in range(times):
        outcome = intake.record(RAW, InboundEvent(source="generic", title="Disk full on db1", dedup_key=key))
        assert outcome.incident_id is not None
        made.append(outcome.incident_id)
        intake.record(RAW, InboundEvent(source="generic", title="", dedup_key=key, action=Action.RESOLVE))
    return made


def test_states_follow_the_itil_lifecycle_and_say_what_is_allowed() -> None:
    assert next_state("new", "investigating") == "investigating"
    assert next_state("known_error", "resolved") == "resolved"
    with pytest.raises(
        ProblemError, match="a new problem can move to closed, investigating, known_error, not resolved"
    ):
        next_state("new", "resolved")


def test_the_third_recurrence_is_suggested(db: Database, intake: Intake) -> None:
    recur(intake, 2)
    with db.read() as session:
        assert problems.suggestions(session) == []
    made = recur(intake, 1)
    with db.read() as session:
        [found] = problems.suggestions(session)
    assert found.count == 3 and found.incident_ids[0] == made[0]


def test_creating_from_a_suggestion_links_every_incident_and_ends_the_suggestion(db: Database, intake: Intake) -> None:
    made = recur(intake, 3)
    with db.read() as session:
        key = problems.suggestions(session)[0].key
    problem_id = problems.create_from_suggestion(db, key, "ann@example.com")
    with db.read() as session:
        linked = set(session.scalars(select(Incident.id).where(Incident.problem_id == problem_id)))
        assert linked == set(made)
        assert problems.suggestions(session) == []
    with pytest.raises(ProblemError, match="no longer suggested"):
        problems.create_from_suggestion(db, key, "ann@example.com")


def backdate(db: Database, days_ago: dict[int, float]) -> None:
    """Move each incident's first sighting that many days back: a recurrence that began before the burst window."""
    with db.transaction() as session:
        for incident_id, days in days_ago.items():
            session.execute(update(Incident).where(Incident.id == incident_id)
                            .values(first_seen=utcnow() - timedelta(days=days)))  # fmt: skip


def linked_to(db: Database, problem_id: int) -> set[int]:
    with db.read() as session:
        return set(session.scalars(select(Incident.id).where(Incident.problem_id == problem_id)))


def test_a_problem_filed_from_a_burst_takes_the_recurrences_earlier_days_too(db: Database, intake: Intake) -> None:
    made = recur(intake, 6)
    backdate(db, {made[0]: 20, made[1]: 15, made[2]: 10})  # the last three fall in the week's window
    with db.read() as session:
        [found] = problems.suggestions(session)
    assert found.pattern == "burst" and found.count == 3
    assert linked_to(db, problems.create_from_suggestion(db, found.key, "ann@example.com")) == set(made)


def test_a_burst_takes_no_earlier_incident_than_one_a_problem_already_explains(db: Database, intake: Intake) -> None:
    made = recur(intake, 6)
    backdate(db, {made[0]: 25, made[1]: 20, made[2]: 10})
    explained = problems.create(db, "Disk filled by old logs", "ann@example.com", incident_ids=(made[1],))
    problems.update_problem(db, explained, "ann@example.com", state="closed")  # explained then; it came back since
    with db.read() as session:
        [found] = problems.suggestions(session)
    problem_id = problems.create_from_suggestion(db, found.key, "ann@example.com")
    assert linked_to(db, problem_id) == set(made[2:]) and linked_to(db, explained) == {made[1]}


def test_a_new_incident_of_the_recurrence_joins_the_active_problem(db: Database, intake: Intake) -> None:
    recur(intake, 3)
    with db.read() as session:
        key = problems.suggestions(session)[0].key
    problem_id = problems.create_from_suggestion(db, key, "ann@example.com")
    [later] = recur(intake, 1)
    with db.read() as session:
        assert session.scalar(select(Incident.problem_id).where(Incident.id == later)) == problem_id


def test_a_known_error_needs_its_workaround(db: Database) -> None:
    problem_id = problems.create(db, "VPN drops hourly", "ann@example.com")
    with pytest.raises(ProblemError, match="write down the workaround"):
        problems.update_problem(db, problem_id, "ann@example.com", state="known_error")
    problems.update_problem(db, problem_id, "ann@example.com", workaround="Reconnect with client 5.2")
    updated = problems.update_problem(db, problem_id, "ann@example.com", state="known_error")
    assert updated.problem.state == "known_error"
    with db.read() as session:
        assert session.get(Problem, problem_id).workaround == "Reconnect with client 5.2"  # type: ignore[union-attr]


def test_a_known_errors_workaround_goes_to_requesters_of_new_matching_incidents(db: Database, intake: Intake) -> None:
    raw = Raw(source="email", content_type="message/rfc822", body=b"x")

    def mail(n: int) -> int:
        event = InboundEvent(source="email", title="VPN drops", requester=f"user{n}@example.org",
                             message_id=f"<vpn-{n}@example.org>", dedup_key="vpn-drops")  # fmt: skip
        outcome = intake.record(raw, event)
        assert outcome.incident_id is not None
        return outcome.incident_id

    for n in range(3):  # each is dealt with before the next arrives: a recurrence, not a repeat
        triage.change_status(db, mail(n), "resolve", Actor("agent@example.com"), Mail("desk@example.com", "http://x"))
    with db.read() as session:
        key = problems.suggestions(session)[0].key
    problem_id = problems.create_from_suggestion(db, key, "ann@example.com")
    problems.update_problem(db, problem_id, "ann@example.com", workaround="Use client 5.2.", share_workaround=True,
                            state="known_error")  # fmt: skip
    later = mail(9)
    with db.read() as session:
        ack = session.scalar(select(OutboxMessage).where(OutboxMessage.incident_id == later,
                                                          OutboxMessage.kind == "acknowledgement"))  # fmt: skip
    assert ack is not None
    text, _ = body_of(ack)
    assert "This is a known problem" in text and "Use client 5.2." in text


@pytest.mark.parametrize(
    ("action", "detail", "said"),
    [
        ("problem.create", {"incidents": 3, "key": "k"}, "filed it with 3 incidents"),
        ("problem.create", {"incidents": 0}, "filed it"),
        ("problem.link", {"incident": "INC-4", "before": "PRB-1"}, "linked INC-4 (moved from PRB-1)"),
        ("problem.unlink", {"change": "CHG-2"}, "unlinked CHG-2"),
        ("problem.update", {"root_cause": "changed", "state": "investigating → resolved"},
         "changed the root cause, resolved it"),
        ("problem.update", {"share_workaround": False, "state": "resolved → investigating"},
         "stopped sharing the workaround, set it investigating"),
    ],
)  # fmt: skip
def test_each_history_entry_says_what_happened_in_words(action: str, detail: dict[str, object], said: str) -> None:
    assert problems.what_happened(action, detail) == said
