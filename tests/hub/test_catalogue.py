"""The catalogue's checks, shared by `switchboard service|sla` and the /services page: what people type, and the
revision every change bumps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from hub import calendars, catalogue, catalogue_rows, groups, revisions
from hub.catalogue import Targets
from hub.db import Database
from hub.errors import BadField, Missing
from tests.staff import agents

H = timedelta(hours=1)


def sla_revision(db: Database) -> int:
    with db.read() as session:
        return revisions.Revisions().of(session.connection()).get(catalogue_rows.SLA_REVISION, 0)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: catalogue.add_service(s, name="vpn"),
        lambda s: catalogue.set_service(s, "mail", public=True),
        lambda s: catalogue.set_service(s, "mail", owner_group="messaging"),
        lambda s: calendars.add_calendar(s, name="office", tz="UTC", hours="24x7"),
        lambda s: catalogue.add_policy(s, name="P1", priority=1, targets=Targets(resolution=4 * H)),
    ],
    ids=["service added", "made public", "owner changed", "calendar added", "policy added"],
)
def test_every_change_to_the_catalogue_bumps_the_sla_revision(
    db: Database, change: Callable[[Session], object]
) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
    before = sla_revision(db)
    with db.transaction() as session:
        change(session)
    assert sla_revision(db) == before + 1


def test_setting_a_service_to_what_it_is_bumps_nothing(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", owner_group="messaging")
    before = sla_revision(db)
    with db.transaction() as session:
        catalogue.set_service(session, "mail", public=False, owner_group=" messaging ", description="")
    assert sla_revision(db) == before


def test_a_duplicate_service_name_is_a_mistake_in_the_name(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
    with pytest.raises(BadField, match="already a service named 'mail'") as refused, db.transaction() as session:
        catalogue.add_service(session, name="mail ")
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "a\nb"}, "name"),
        ({"name": "mail", "owner_group": "x" * 101}, "owner_group"),
        ({"name": "mail", "owner_group": "dba\x1b[2J"}, "owner_group"),
    ],
)
def test_names_follow_the_one_rule_for_names(db: Database, fields: dict[str, str], field: str) -> None:
    refusal = "needs a name of 1 to 100 characters on one line"
    with pytest.raises(BadField, match=refusal) as refused, db.transaction() as session:
        catalogue.add_service(session, **fields)
    assert refused.value.field == field


def test_an_empty_owner_group_is_none_and_set_takes_it_away(db: Database) -> None:
    with db.transaction() as session:
        assert catalogue.add_service(session, name="mail", owner_group="  ").owner_group is None
        catalogue.set_service(session, "mail", owner_group="messaging")
        assert catalogue.set_service(session, "mail", owner_group="").owner_group is None


def test_changing_an_unknown_service_is_missing(db: Database) -> None:
    with pytest.raises(Missing, match="no service 'mail'"), db.transaction() as session:
        catalogue.set_service(session, "mail", public=True)


def test_an_owner_group_not_made_yet_is_warned_about_and_one_that_exists_is_not(db: Database) -> None:
    with db.transaction() as session:
        groups.save_group(session, "dba", agents(session, "ann@example.com"))
        assert catalogue.missing_owner(session, "dba") is None
        assert catalogue.missing_owner(session, None) is None
        warning = catalogue.missing_owner(session, "messaging")
    assert warning is not None and warning.startswith("there is no group 'messaging' yet")


@pytest.mark.parametrize(("typed", "priority"), [("P1", 1), ("p3", 3), (" 5 ", 5)])
def test_priorities_are_read_as_people_write_them(typed: str, priority: int) -> None:
    assert catalogue.parse_priority(typed) == priority


def test_a_priority_that_is_no_number_is_a_mistake_in_the_priority() -> None:
    with pytest.raises(BadField, match="'urgent' is not a priority") as refused:
        catalogue.parse_priority("urgent")
    assert refused.value.field == "priority"


def test_targets_are_durations_and_an_empty_one_is_not_kept() -> None:
    parsed = Targets.parse(first_response="30m", next_update="", resolution="3d")
    assert parsed == Targets(first_response=H / 2, next_update=None, resolution=72 * H)
    with pytest.raises(BadField, match="'4 hours' is not a duration") as refused:
        Targets.parse(first_response=None, next_update="4 hours", resolution="4h")
    assert refused.value.field == "next_update"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"priority": 6}, "priority", "P1 \\(highest\\) to P5, not P6"),
        ({"warn_at": 1.0}, "warn_at", "between 0 and 1"),
        ({"targets": Targets(next_update=H)}, "resolution", "a first-response or a resolution target"),
        ({"calendar": "office"}, "calendar", "no calendar 'office'; add it with `switchboard calendar add`"),
        (
            {"service": "mail"},
            "service",
            "no service 'mail'; `switchboard service list` shows them and `switchboard service add` adds one",
        ),
        ({"category": "c" * 101}, "category", "the category is at most 100 characters on one line"),
        ({"organisation": "acme\nevil"}, "organisation", "the organisation is at most 200 characters on one line"),
    ],
)
def test_a_policy_is_refused_naming_the_field_at_fault(
    db: Database, fields: dict[str, object], field: str, message: str
) -> None:
    given: dict[str, object] = {"name": "P1", "priority": 1, "targets": Targets(resolution=4 * H), **fields}
    with pytest.raises(BadField, match=message) as refused, db.transaction() as session:
        catalogue.add_policy(session, **given)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_empty_narrowing_fields_make_a_policy_for_everyone(db: Database) -> None:
    with db.transaction() as session:
        row = catalogue.add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H), calendar="",
                                   service=" ", category="", organisation="")  # fmt: skip
        assert (row.calendar_id, row.service, row.category, row.organisation) == (None,) * 4
        assert catalogue.describe_scope(row) == "all"


def test_a_target_longer_than_a_year_is_a_mistake_about_its_field() -> None:
    """Its seconds must fit the column, and a year of business time promises nothing anyway."""
    assert catalogue.parse_target("52w", "resolution") == timedelta(weeks=52)
    with pytest.raises(BadField, match="at most 52w") as refused:
        catalogue.parse_target("53w", "resolution")
    assert refused.value.field == "resolution"
