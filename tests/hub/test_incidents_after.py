"""The incidents that followed a carried-out change, as its page, `change show` and the API list them: each marked as
its own page ranks the change, in a bounded number of queries however many followed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from hub import catalogue, changes
from hub.change_correlation import incidents_after
from hub.db import Database
from hub.models import Change, Incident, utcnow
from tests.web.helpers import statements

START = utcnow() - timedelta(hours=6)


@pytest.fixture(autouse=True)
def checkout(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="checkout")


def carried_out(db: Database, service: str, hours_after_start: float = 0) -> str:
    """A standard change on `service`, carried out `hours_after_start` after START."""
    with db.transaction() as session:
        ref = changes.create(session, changes.NewChange(title=f"Deploy {service}", type="standard", service=service,
                                                        planned_start=START), "carol@example.com").ref  # fmt: skip
        for action in ("schedule", "start"):
            changes.advance(session, ref, action, "carol@example.com")
        changes.advance(session, ref, "finish", "carol@example.com", outcome="implemented")
        at = START + timedelta(hours=hours_after_start)
        session.execute(update(Change).where(Change.id == int(ref.removeprefix("CHG-"))).values(implemented_at=at))
    return ref


def incidents(db: Database, count: int, service: str, hours_after_start: float) -> None:
    with db.transaction() as session:
        session.add_all(Incident(title=f"Errors {n}", source="generic", service=service, dedup_key=f"{service}{n}",
                                 first_seen=START + timedelta(hours=hours_after_start, seconds=n))
                        for n in range(count))  # fmt: skip


def followed(db: Database, ref: str) -> list[tuple[str, bool, bool]]:
    with db.read() as session:
        row = changes.get(session, ref)
        assert row is not None
        return [(i.title, i.same_service, i.likely_culprit) for i in incidents_after(session, row)]


def test_a_newer_change_on_the_same_service_is_the_culprit_of_the_incidents_after_it(db: Database) -> None:
    ref = carried_out(db, "checkout")
    incidents(db, 1, "checkout", 1)
    carried_out(db, "checkout", 2)
    with db.transaction() as session:
        later = START + timedelta(hours=3)
        session.add(Incident(title="Later", source="generic", service="checkout", first_seen=later))
    assert followed(db, ref) == [("Errors 0", True, True), ("Later", True, False)]


def test_twenty_incidents_that_followed_cost_the_queries_two_did(db: Database) -> None:
    ref = carried_out(db, "checkout")
    carried_out(db, "checkout", 1)
    incidents(db, 2, "checkout", 0.5)

    def queries() -> int:
        with statements(db) as sent:
            followed(db, ref)
        return len(sent)

    two = queries()
    incidents(db, 18, "search", 2)
    assert (queries(), len(followed(db, ref))) == (two, 20)
