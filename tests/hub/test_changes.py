"""The change service on a real database: each step one transaction, with its audit entry and freeze checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub import catalogue, changes
from hub.accounts import create_integration
from hub.change_states import ChangeRefused
from hub.db import Database
from hub.deploys import Deploy, record_deploy
from hub.errors import BadInput
from hub.intake import Raw
from hub.models import utcnow
from tests.staff import agents

ANN, BOB = "ann@example.com", "bob@example.com"


@pytest.fixture(autouse=True)
def approvers(db: Database) -> None:
    """Ann and Bob, whom the changes name as approvers: an approver must be an active user."""
    agents(db, ANN, BOB)


@pytest.fixture
def service(db: Database) -> str:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
    return "mail"


def request(db: Database, **fields: object) -> str:
    start = utcnow() + timedelta(days=2)
    values: dict[str, object] = {"title": "Upgrade Postfix", "service": "mail", "planned_start": start,
                                 "planned_end": start + timedelta(hours=1), "approvers": (ANN, BOB),
                                 "required_approvals": 1}  # fmt: skip
    values.update(fields)
    with db.transaction() as session:
        return changes.create(session, changes.NewChange(**values), "carol@example.com").ref  # type: ignore[arg-type]


def step(db: Database, ref: str, action: str, outcome: str | None = None) -> str:
    with db.transaction() as session:
        return changes.advance(session, ref, action, "carol@example.com", outcome=outcome).state


def test_a_requested_change_is_new_with_its_approvers(db: Database, service: str) -> None:
    ref = request(db)
    with db.read() as session:
        row = changes.get(session, ref)
    assert row is not None and row.state == "new" and row.approvers == [ANN, BOB] and row.required_approvals == 1


def test_a_change_on_an_unknown_service_is_refused(db: Database) -> None:
    with pytest.raises(BadInput, match="no service 'nowhere'"):
        request(db, service="nowhere")


def test_approval_by_one_of_two_approves_and_records_the_comment(db: Database, service: str) -> None:
    ref = request(db)
    step(db, ref, "assess")
    with db.transaction() as session:
        row = changes.decide(session, ref, BOB, "approve", "go ahead after 22:00")
        assert row.state == "approved"
    with db.read() as session:
        found = changes.get(session, ref)
        assert found is not None
        assert [(a.approver, a.decision, a.comment) for a in found.approvals] == [
            (BOB, "approve", "go ahead after 22:00")
        ]
        assert [e.action for e in changes.history(session, ref)] == ["change.create", "change.assess", "change.approve"]


def test_a_refused_step_changes_nothing(db: Database, service: str) -> None:
    ref = request(db)
    with pytest.raises(ChangeRefused, match="only a scheduled change can start"):
        step(db, ref, "start")
    with db.read() as session:
        assert [e.action for e in changes.history(session, ref)] == ["change.create"]


def test_finishing_a_change_stamps_when_it_was_carried_out(db: Database, service: str) -> None:
    ref = request(db, type="standard", approvers=())
    for action in ("schedule", "start"):
        step(db, ref, action)
    assert step(db, ref, "finish", "backed_out") == "backed_out"
    with db.read() as session:
        row = changes.get(session, ref)
    assert row is not None and row.implemented_at is not None


def test_a_normal_change_planned_in_a_freeze_is_refused_at_request(db: Database, service: str) -> None:
    start = utcnow() + timedelta(days=2)
    with db.transaction() as session:
        changes.add_freeze(session, name="year-end", starts_at=start - timedelta(days=1),
                           ends_at=start + timedelta(days=1), created_by="cli")  # fmt: skip
    with pytest.raises(ChangeRefused, match="inside freeze window 'year-end'"):
        request(db, planned_start=start)


def test_an_emergency_in_a_freeze_waits_for_the_extra_approval(db: Database, service: str) -> None:
    start = utcnow() + timedelta(days=2)
    with db.transaction() as session:
        changes.add_freeze(session, name="year-end", starts_at=start - timedelta(days=1),
                           ends_at=start + timedelta(days=1), service="mail", created_by="cli")  # fmt: skip
    ref = request(db, type="emergency", planned_start=start)
    step(db, ref, "assess")
    with db.transaction() as session:
        assert changes.decide(session, ref, ANN, "approve").state == "assessed"  # 1 required, 2 in the freeze
    with db.transaction() as session:
        assert changes.decide(session, ref, BOB, "approve").state == "approved"


def test_a_freeze_added_after_approval_stops_scheduling_without_the_extra_approval(db: Database, service: str) -> None:
    start = utcnow() + timedelta(days=2)
    ref = request(db, type="emergency", planned_start=start)
    step(db, ref, "assess")
    with db.transaction() as session:
        changes.decide(session, ref, ANN, "approve")
        changes.add_freeze(session, name="incident", starts_at=start - timedelta(hours=1),
                           ends_at=start + timedelta(hours=5), created_by="cli")  # fmt: skip
    with pytest.raises(ChangeRefused, match="needs 2 approvals, one more than usual; it has 1"):
        step(db, ref, "schedule")


def test_a_freeze_must_end_after_it_starts(db: Database) -> None:
    now = utcnow()
    with db.transaction() as session, pytest.raises(BadInput, match="end after it starts"):
        changes.add_freeze(session, name="x", starts_at=now, ends_at=now, created_by="cli")


def test_a_deploy_id_longer_than_its_column_still_finds_its_change(database: Database) -> None:
    """On PostgreSQL, which enforces the width, as on SQLite: the tool's later report updates the same change."""
    with database.transaction() as session:
        integration_id = create_integration(session, name="ci", kind="deploy")[0].id
    raw = Raw("deploy", "application/json", b"{}", integration_id)
    long_id = "run-" + "9" * 3000
    started = record_deploy(database, raw, Deploy("checkout", "in_progress", deploy_id=long_id), integration="ci")
    finished = record_deploy(database, raw, Deploy("checkout", "success", deploy_id=long_id), integration="ci")
    assert (finished.change_ref, finished.created, finished.state) == (started.change_ref, False, "implemented")


def test_the_calendar_leaves_out_a_rejected_change_and_keeps_one_going_ahead(db: Database, service: str) -> None:
    rejected, going = request(db, title="Rejected plan"), request(db, title="Approved plan")
    for ref in (rejected, going):
        step(db, ref, "assess")
    with db.transaction() as session:
        changes.decide(session, rejected, ANN, "reject", "not this week")
        changes.decide(session, rejected, BOB, "reject", "no")
        changes.decide(session, going, ANN, "approve")
    step(db, going, "schedule")
    with db.read() as session:
        shown = changes.between(session, utcnow(), utcnow() + timedelta(days=7))
    assert [row.ref for row in shown] == [going]


def test_a_rejected_change_once_closed_stays_off_the_calendar(db: Database, service: str) -> None:
    ref = request(db, required_approvals=2)
    step(db, ref, "assess")
    with db.transaction() as session:
        changes.decide(session, ref, ANN, "reject", "too risky")
    step(db, ref, "close")
    with db.read() as session:
        assert changes.between(session, utcnow(), utcnow() + timedelta(days=7)) == []


def test_closing_a_rejected_change_does_not_date_it_as_carried_out(db: Database, service: str) -> None:
    """Else incidents in the next hours would name it their likely culprit."""
    ref = request(db, required_approvals=2)
    step(db, ref, "assess")
    with db.transaction() as session:
        changes.decide(session, ref, ANN, "reject", "too risky")
    assert step(db, ref, "close") == "closed"
    with db.read() as session:
        row = changes.get(session, ref)
    assert row is not None and row.implemented_at is None


def test_changes_on_one_service_in_overlapping_windows_clash(db: Database, service: str) -> None:
    start = utcnow() + timedelta(days=2)
    first = request(db, title="Upgrade Postfix", planned_start=start, planned_end=start + timedelta(hours=2))
    second = request(db, title="Rotate certificates", planned_start=start + timedelta(hours=1),
                     planned_end=start + timedelta(hours=3))  # fmt: skip
    request(
        db, title="Later that night", planned_start=start + timedelta(hours=3), planned_end=start + timedelta(hours=4)
    )
    with db.read() as session:
        row = changes.get(session, first)
        assert row is not None and [c.ref for c in changes.clashes(session, row)] == [second]


def test_a_rejected_change_clashes_with_nothing(db: Database, service: str) -> None:
    rejected = request(db, required_approvals=2)
    going = request(db, title="Rotate certificates")
    step(db, rejected, "assess")
    with db.transaction() as session:
        changes.decide(session, rejected, ANN, "reject", "too risky")
    with db.read() as session:
        row = changes.get(session, going)
        assert row is not None and changes.clashes(session, row) == []
