"""Business calendars (hub/calendars.py): removed only once no SLA policy's clocks run on one, and their closed
days and public-holiday regions read from what an admin typed. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub import calendars
from hub.calendars import add_calendar
from hub.catalogue import Targets, add_policy
from hub.db import Database
from hub.errors import BadField, BadInput
from hub.models import BusinessCalendar
from tests.hub.replanned import OFFICE, H, sla_revision
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)


def test_a_calendar_a_policy_runs_on_is_not_removed_and_the_refusal_names_the_policy(db: Database) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", **OFFICE)
        add_policy(session, name="P3 office", priority=3, calendar="office", targets=Targets(resolution=72 * H))
    refusal = "the clocks of SLA policy 'P3 office' run on calendar 'office': give it another calendar or remove it"
    with pytest.raises(BadInput, match=refusal), db.transaction() as session:
        calendars.remove_calendar(session, "office")


def test_an_unused_calendar_is_removed(db: Database) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", **OFFICE)
    before = sla_revision(db)
    with db.transaction() as session:
        assert calendars.remove_calendar(session, " office ") == "office"
    with db.read() as session:
        assert session.scalars(select(BusinessCalendar)).all() == []
    assert sla_revision(db) == before + 1


@pytest.mark.parametrize(
    ("texts", "found"),
    [(["2026-12-24"], {"2026-12-24"}), ([], set()), (["2026-12-24", "2026-12-24"], {"2026-12-24"})],
)
def test_closed_days_are_read_as_dates(texts: list[str], found: set[str]) -> None:
    assert {d.isoformat() for d in calendars.parse_dates(texts)} == found


def test_a_closed_day_that_is_no_date_is_a_mistake_in_its_field() -> None:
    with pytest.raises(BadField, match=r"'24\.12\.2026' is not a date; write closed days as YYYY-MM-DD") as refused:
        calendars.parse_dates(["24.12.2026"], "dates")
    assert refused.value.field == "dates"


@pytest.mark.parametrize(("text", "region"), [("DE", ("DE", None)), (" de-BY ", ("de", "BY")), ("", (None, None))])
def test_public_holidays_are_a_country_or_a_country_and_region(text: str, region: tuple[str | None, ...]) -> None:
    assert calendars.parse_region(text) == region
