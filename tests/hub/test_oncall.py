"""On-call rotations stored (SQLite and PostgreSQL): set from what people type, overridden, read back for routing
and for people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub import groups, oncall
from hub.db import Database
from hub.errors import BadInput
from hub.models import OnCallOverride, OutboxMessage, utcnow
from hub.recipients import Sender
from tests.staff import agents, deactivate

BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # 13:00 in Berlin


def rota(db: Database, *members: str, handoff: str = "mon 09:00", shift: str = "1w") -> None:
    """The group dba rotating on call; its members, and dan@example.com who covers shifts, are agents."""
    with db.transaction() as s:
        groups.save_group(s, "dba", agents(s, *members, "dan@example.com")[: len(members)])
        oncall.set_rotation(s, "dba", zone="Europe/Berlin", shift=shift, handoff=handoff, now=THURSDAY)


@pytest.mark.parametrize(
    ("text", "handoff"),
    [
        ("mon 09:00", datetime(2026, 11, 23, 9, 0)),  # the latest Monday 09:00 up to now
        ("thu 13:00", datetime(2026, 11, 26, 13, 0)),
        ("thu 13:01", datetime(2026, 11, 19, 13, 1)),
        ("09:00", datetime(2026, 11, 26, 9, 0)),
        ("18:30", datetime(2026, 11, 25, 18, 30)),
        ("2026-12-07 08:00", datetime(2026, 12, 7, 8, 0)),
    ],
)
def test_a_handoff_is_read_as_a_local_time(text: str, handoff: datetime) -> None:
    assert oncall.parse_handoff(text, "Europe/Berlin", THURSDAY) == handoff


@pytest.mark.parametrize(("text", "message"), [("9am", "not a handoff"), ("25:00", "not a handoff"),
                                               ("fri 9:75", "not a handoff"), ("xyz 09:00", "not a weekday"),
                                               ("2026-02-30 09:00", "not a date")])  # fmt: skip
def test_a_handoff_that_is_no_time_is_refused_with_an_example(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        oncall.parse_handoff(text, "Europe/Berlin", THURSDAY)


@pytest.mark.parametrize(("shift", "message"), [("30m", "from 1 h to 28 d"), ("5w", "from 1 h to 28 d"),
                                                ("soon", "not a duration")])  # fmt: skip
def test_a_shift_too_short_or_too_long_is_refused(shift: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        oncall.parse_shift(shift)


def test_a_rotation_goes_round_the_group_in_its_order(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com")
    with database.read() as s:
        rotation = oncall.rotations(s, ["dba"], THURSDAY)["dba"]
        now = oncall.current(s, "dba", THURSDAY)
    assert rotation.members == ("ann@example.com", "bob@example.com")
    assert (now.on_call, now.next) == ("ann@example.com", "bob@example.com")
    assert now.until == datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)


def test_a_group_needs_members_before_it_rotates(database: Database) -> None:
    with database.transaction() as s, pytest.raises(BadInput, match="no members to rotate"):
        groups.save_group(s, "dba", [])
        oncall.set_rotation(s, "dba", zone="Europe/Berlin", shift="1w", handoff="09:00", now=THURSDAY)


def test_a_rotation_for_a_missing_group_or_zone_is_refused(database: Database) -> None:
    with database.transaction() as s, pytest.raises(BadInput, match="no group 'dba'"):
        oncall.set_rotation(s, "dba", zone="UTC", shift="1w", handoff="09:00", now=THURSDAY)
    with database.transaction() as s, pytest.raises(BadInput, match="IANA time zone"):
        groups.save_group(s, "ops", agents(s, "ann@example.com"))
        oncall.set_rotation(s, "ops", zone="Mars/Olympus", shift="1w", handoff="09:00", now=THURSDAY)


def test_an_override_in_local_time_puts_someone_on_call_while_it_lasts(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com")
    with database.transaction() as s:
        oncall.add_override(s, "dba", "Dan@Example.com", datetime(2026, 11, 26, 18, 0), datetime(2026, 11, 27, 8, 0),
                            by="ann@example.com", now=THURSDAY)  # fmt: skip
    evening = datetime(2026, 11, 26, 20, 0, tzinfo=BERLIN)
    with database.read() as s:
        assert oncall.current(s, "dba", evening).on_call == "dan@example.com"
        assert oncall.current(s, "dba", evening + timedelta(hours=12)).on_call == "ann@example.com"
        stored = s.scalars(select(OnCallOverride)).one()
    assert stored.starts_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("who", "starts", "ends", "message"),
    [
        ("nobody", datetime(2026, 11, 27), datetime(2026, 11, 28), "not an email address"),
        ("eve@example.com", datetime(2026, 11, 27), datetime(2026, 11, 28), "no one here has the address eve@"),
        ("dan@example.com", datetime(2026, 11, 28), datetime(2026, 11, 27), "ends after it starts"),
        ("dan@example.com", datetime(2026, 11, 1), datetime(2026, 11, 2), "over already"),
        ("dan@example.com", datetime(2026, 11, 27), datetime(2027, 6, 1), "at most 92 days"),
        # Berlin's clocks go from 02:00 to 03:00 that night: the rotation's zone has no 02:30.
        ("dan@example.com", datetime(2027, 3, 28, 2, 30), datetime(2027, 3, 29), "2027-03-28 02:30 does not exist"),
    ],
)
def test_an_override_that_makes_no_sense_is_refused(
    database: Database, who: str, starts: datetime, ends: datetime, message: str
) -> None:
    rota(database, "ann@example.com")
    with database.transaction() as s, pytest.raises(BadInput, match=message):
        oncall.add_override(s, "dba", who, starts, ends, by="ann@example.com", now=THURSDAY)


def test_a_cover_who_is_not_an_active_agent_or_admin_is_refused_saying_why(database: Database) -> None:
    rota(database, "ann@example.com")
    agents(database, "reader@example.com", role="viewer")
    deactivate(database, "dan@example.com")
    for who, why in [("dan@example.com", "dan@example.com is deactivated; an admin turns them back on"),
                     ("reader@example.com", "reader@example.com is a viewer, who works no incidents")]:  # fmt: skip
        with database.transaction() as s, pytest.raises(BadInput, match=why):
            oncall.add_override(s, "dba", who, datetime(2026, 11, 27), datetime(2026, 11, 28), by="cli", now=THURSDAY)
    with database.read() as s:
        assert s.scalar(select(OnCallOverride.id)) is None


def test_a_page_passes_over_someone_on_call_deactivated_since_to_the_next_in_rota(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com", "cy@example.com")  # ann's week from Monday
    deactivate(database, "ann@example.com", "bob@example.com")
    with database.read() as s:
        assert oncall.current(s, "dba", THURSDAY).on_call == "ann@example.com"  # still listed, as planned
        passed = (("ann@example.com", "is deactivated"), ("bob@example.com", "is deactivated"))
        assert oncall.page(s.connection(), "dba", THURSDAY) == oncall.Paged("cy@example.com", passed)


def test_a_page_passes_over_a_cover_deactivated_since_to_the_rotation(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com")
    with database.transaction() as s:
        oncall.add_override(s, "dba", "dan@example.com", datetime(2026, 11, 26), datetime(2026, 11, 28), by="cli",
                            now=THURSDAY)  # fmt: skip
    deactivate(database, "dan@example.com")
    with database.read() as s:
        paged = oncall.page(s.connection(), "dba", THURSDAY)
    assert paged == oncall.Paged("ann@example.com", (("dan@example.com", "is deactivated"),))


def test_a_page_reaches_no_one_when_no_one_in_the_rota_can_answer(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com")
    deactivate(database, "ann@example.com", "bob@example.com")
    with database.read() as s:
        paged = oncall.page(s.connection(), "dba", THURSDAY)
    assert paged is not None and paged.who is None
    assert paged.passed_over == (("ann@example.com", "is deactivated"), ("bob@example.com", "is deactivated"))


def test_a_page_for_someone_on_call_who_can_answer_passes_over_no_one(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com")
    with database.read() as s:
        assert oncall.page(s.connection(), "dba", THURSDAY) == oncall.Paged("ann@example.com")


def test_a_group_without_a_rotation_pages_no_one_on_call(database: Database) -> None:
    with database.transaction() as s:
        groups.save_group(s, "dba", agents(s, "ann@example.com"))
    with database.read() as s:
        assert oncall.page(s.connection(), "dba", THURSDAY) is None


def test_removing_an_override_hands_the_shift_back(database: Database) -> None:
    rota(database, "ann@example.com")
    with database.transaction() as s:
        made = oncall.add_override(s, "dba", "dan@example.com", datetime(2026, 11, 26), datetime(2026, 11, 28),
                                   by="cli", now=THURSDAY).id  # fmt: skip
    with database.transaction() as s:
        oncall.remove_override(s, "dba", made)
    with database.read() as s:
        assert oncall.current(s, "dba", THURSDAY).on_call == "ann@example.com"
    with database.transaction() as s, pytest.raises(BadInput, match=f"no override {made}"):
        oncall.remove_override(s, "dba", made)


def test_removing_a_rotation_leaves_the_group(database: Database) -> None:
    rota(database, "ann@example.com")
    with database.transaction() as s:
        oncall.remove_rotation(s, "dba")
    with database.read() as s:
        assert oncall.overview(s, utcnow()) == []
        assert [g.name for g in groups.list_groups(s)] == ["dba"]


def test_the_rota_lists_shifts_with_the_overrides(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com", handoff="09:00", shift="1d")
    with database.transaction() as s:
        made = oncall.add_override(s, "dba", "dan@example.com", datetime(2026, 11, 27, 9, 0),
                                   datetime(2026, 11, 28, 9, 0), by="cli", now=THURSDAY).id  # fmt: skip
    with database.read() as s:
        laid = oncall.rota(s, "dba", THURSDAY, THURSDAY + timedelta(days=3))
    assert [(x.who, x.override) for x in laid] == [
        ("ann@example.com", None), ("dan@example.com", made), ("ann@example.com", None), ("bob@example.com", None)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("fri 18:00", datetime(2026, 11, 27, 18, 0)),  # the next Friday 18:00
        ("thu 13:00", datetime(2026, 11, 26, 13, 0)),  # now is now
        ("thu 12:59", datetime(2026, 12, 3, 12, 59)),
        ("14:00", datetime(2026, 11, 26, 14, 0)),
        ("08:00", datetime(2026, 11, 27, 8, 0)),
        ("2026-12-24", datetime(2026, 12, 24, 0, 0)),
        ("2026-12-24T18:00", datetime(2026, 12, 24, 18, 0)),
    ],
)
def test_an_override_time_is_the_next_such_local_time(text: str, when: datetime) -> None:
    assert oncall.local_time(text, "Europe/Berlin", THURSDAY) == when


def test_removing_the_group_removes_its_rotation_and_overrides(database: Database) -> None:
    rota(database, "ann@example.com")
    with database.transaction() as s:
        oncall.add_override(s, "dba", "dan@example.com", datetime(2026, 11, 26), datetime(2026, 11, 28), by="cli",
                            now=THURSDAY)  # fmt: skip
        groups.remove_group(s, "dba")
    with database.read() as s:
        assert oncall.overview(s, THURSDAY) == [] and s.scalar(select(OnCallOverride.id)) is None


SENDER = Sender("desk@example.com", "http://desk")


def mails(database: Database) -> list[tuple[str, str]]:
    with database.read() as s:
        return [(m.recipient, m.subject) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_the_person_whose_shift_began_is_told_once(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com", handoff="2026-11-23 09:00")
    handover = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)  # 09:05 in Berlin, bob's week began at 09:00
    assert oncall.announce_shifts(database, SENDER, handover) == 1
    assert oncall.announce_shifts(database, SENDER, handover + timedelta(minutes=1)) == 0
    assert mails(database) == [("bob@example.com", "You are on call for dba until Mon 2026-12-07 09:00 Europe/Berlin")]
    with database.read() as s:
        [mail] = s.scalars(select(OutboxMessage))
        assert mail.incident_id is None and mail.facts is not None and mail.facts["then"] == "ann@example.com"


def test_no_one_is_told_of_a_shift_that_began_long_ago(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com", handoff="2026-11-23 09:00")
    assert oncall.announce_shifts(database, SENDER, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) == 0


def test_an_override_covering_someone_tells_the_cover_and_who_comes_back(database: Database) -> None:
    rota(database, "ann@example.com", handoff="2026-11-23 09:00")
    with database.transaction() as s:
        oncall.add_override(s, "dba", "dan@example.com", datetime(2026, 11, 26, 18, 0), datetime(2026, 11, 27, 8, 0),
                            by="ann@example.com", now=THURSDAY)  # fmt: skip
    oncall.announce_shifts(database, SENDER, datetime(2026, 11, 26, 17, 2, tzinfo=UTC))  # 18:02 Berlin
    oncall.announce_shifts(database, SENDER, datetime(2026, 11, 27, 7, 2, tzinfo=UTC))  # 08:02 Berlin
    assert [to for to, _ in mails(database)] == ["dan@example.com", "ann@example.com"]


def test_someone_on_call_who_was_deactivated_since_is_not_mailed(database: Database) -> None:
    rota(database, "ann@example.com", "bob@example.com", handoff="2026-11-23 09:00")
    deactivate(database, "bob@example.com")
    assert oncall.announce_shifts(database, SENDER, datetime(2026, 11, 30, 8, 5, tzinfo=UTC)) == 0
