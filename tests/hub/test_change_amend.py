"""Amending a change's plan, on a real database: the window that makes it schedulable, who and when, re-approval,
the history; and the post-implementation review's words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub import changes
from hub.change_states import ChangeRefused, NotTheirs
from hub.db import Database
from hub.models import utcnow
from tests.staff import agents

ANN, CAROL = "ann@example.com", "carol@example.com"


@pytest.fixture(autouse=True)
def approvers(db: Database) -> None:
    agents(db, ANN)


def request(db: Database, **fields: object) -> str:
    with db.transaction() as session:
        return changes.create(session, changes.NewChange(title="Upgrade Postfix", **fields), CAROL).ref  # type: ignore[arg-type]


def amend(db: Database, ref: str, actor: str = CAROL, **parts: object) -> changes.Amended:
    with db.transaction() as session:
        return changes.amend(session, ref, changes.Amendment(**parts), actor)  # type: ignore[arg-type]


def step(db: Database, ref: str, action: str, **more: str) -> str:
    with db.transaction() as session:
        return changes.advance(session, ref, action, CAROL, **more).state  # type: ignore[arg-type]


def approved(db: Database, start: object) -> str:
    ref = request(db, approvers=(ANN,), planned_start=start)
    step(db, ref, "assess")
    with db.transaction() as session:
        changes.decide(session, ref, ANN, "approve")
    return ref


def test_a_change_requested_without_a_window_is_schedulable_once_its_window_is_amended(db: Database) -> None:
    ref = request(db, type="standard")
    with pytest.raises(ChangeRefused, match="no planned start: give it a window first"):
        step(db, ref, "schedule")
    start = utcnow() + timedelta(days=2)
    amend(db, ref, planned_start=start, planned_end=start + timedelta(hours=1))
    assert step(db, ref, "schedule") == "scheduled"


def test_a_change_whose_work_started_cannot_be_amended_and_says_what_to_do(db: Database) -> None:
    ref = request(db, type="standard", planned_start=utcnow())
    step(db, ref, "schedule")
    step(db, ref, "start")
    with pytest.raises(ChangeRefused, match="implementing: a plan can be amended only before work starts"):
        amend(db, ref, title="Upgrade Postfix to 3.9")


def test_only_the_requester_or_an_admin_may_amend_and_the_refusal_names_whom_to_ask(db: Database) -> None:
    ref = request(db, type="standard")
    with pytest.raises(NotTheirs, match=f"only {ref}'s requester, {CAROL}, or an admin may amend its plan"):
        amend(db, ref, actor=ANN, risk="high")
    with db.transaction() as session:
        assert changes.amend(session, ref, changes.Amendment(risk="high"), ANN, anyones=True).changed


def test_moving_an_approved_change_s_window_asks_its_approvers_again(db: Database) -> None:
    start = utcnow() + timedelta(days=2)
    ref = approved(db, start)
    done = amend(db, ref, planned_start=start + timedelta(days=7))
    with db.read() as session:
        row = changes.get(session, ref)
    assert done.reapproval and row is not None and row.state == "assessed" and row.approvals == []


def test_rewording_an_approved_change_keeps_its_approval(db: Database) -> None:
    ref = approved(db, utcnow() + timedelta(days=2))
    done = amend(db, ref, test_plan="send a test mail through each relay")
    assert not done.reapproval and done.change.state == "approved"


def test_an_amendment_is_in_the_history_with_each_part_old_and_new(db: Database) -> None:
    ref = request(db, type="standard", risk="low")
    amend(db, ref, risk="medium", title="Upgrade Postfix to 3.9")
    with db.read() as session:
        entry = changes.history(session, ref)[-1]
    assert (entry.action, entry.actor) == ("change.amend", CAROL)
    assert entry.detail["changed"] == {
        "risk": ["low", "medium"],
        "title": ["Upgrade Postfix", "Upgrade Postfix to 3.9"],
    }


def test_the_review_keeps_what_happened_and_was_learned_and_the_history_says_it(db: Database) -> None:
    ref = request(db, type="standard", planned_start=utcnow())
    for action in ("schedule", "start"):
        step(db, ref, action)
    step(db, ref, "finish", outcome="implemented")
    step(db, ref, "review", review="Went to plan; the queue drained in 4 min")
    with db.read() as session:
        row, entry = changes.get(session, ref), changes.history(session, ref)[-1]
    assert row is not None and row.review == "Went to plan; the queue drained in 4 min"
    assert entry.detail["review"] == row.review
