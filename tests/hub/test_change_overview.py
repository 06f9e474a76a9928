"""Change enablement on the dashboard: changes planned in the days ahead, approvals awaited from the viewer, and
changes implementing past their planned end; each read through the index on (state, planned_start)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Executable, insert

from hub import change_overview
from hub.change_states import STATES
from hub.db import Database
from hub.models import Change, ChangeApproval
from tests.plans import plan

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
START, END = datetime(2026, 11, 26, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC)
ANN = "ann@example.com"


def _change(n: int, state: str = "scheduled", **extra: Any) -> dict[str, Any]:
    return {"title": f"Change {n}", "type": "normal", "state": state, "requested_by": "bob@example.com",
            "approvers": [], "required_approvals": 1, **extra}  # fmt: skip


def _request(db: Database, *rows: dict[str, Any]) -> None:
    with db.transaction() as session:
        session.execute(insert(Change), list(rows))


def _read(db: Database, viewer: str | None = ANN) -> change_overview.ChangeOverview:
    with db.read() as session:
        return change_overview.read(session, START, END, viewer, NOW)


def test_changes_planned_to_start_in_the_window_are_listed_soonest_first(database: Database) -> None:
    _request(database, _change(1, planned_start=START + timedelta(days=3)),
             _change(2, "new", planned_start=START + timedelta(hours=9)),
             _change(3, planned_start=START - timedelta(minutes=1)), _change(4, planned_start=END),
             _change(5))  # fmt: skip
    assert [c.ref for c in _read(database).planned] == ["CHG-2", "CHG-1"]


def test_changes_carried_out_or_called_off_are_not_listed_as_planned(database: Database) -> None:
    at = START + timedelta(hours=12)
    _request(database, *(_change(n, state, planned_start=at) for n, state in
                         enumerate(("rejected", "implemented", "failed", "closed", "approved"))))  # fmt: skip
    assert [c.state for c in _read(database).planned] == ["approved"]


def test_an_assessed_change_awaits_each_named_approver_until_they_decide(database: Database) -> None:
    _request(database, _change(1, "assessed", approvers=[ANN, "bob@example.com"]),
             _change(2, "assessed", approvers=["bob@example.com"]),
             _change(3, "new", approvers=[ANN]), _change(4, "assessed", approvers=[ANN]))  # fmt: skip
    with database.transaction() as session:
        session.execute(insert(ChangeApproval), [{"change_id": 4, "approver": ANN, "decision": "approve"}])
    assert [c.ref for c in _read(database).awaiting_me] == ["CHG-1"]


def test_someone_who_may_not_approve_is_shown_no_approvals_awaited(database: Database) -> None:
    _request(database, _change(1, "assessed", approvers=[ANN]))
    assert _read(database, viewer=None).awaiting_me == []


def test_only_changes_still_implementing_past_their_planned_end_overrun(database: Database) -> None:
    _request(database, _change(1, "implementing", planned_end=NOW - timedelta(hours=1)),
             _change(2, "implementing", planned_end=NOW + timedelta(hours=1)),
             _change(3, "implemented", planned_end=NOW - timedelta(hours=1)),
             _change(4, "implementing", planned_end=NOW - timedelta(hours=5)))  # fmt: skip
    assert [c.ref for c in _read(database).overrunning] == ["CHG-4", "CHG-1"]


@pytest.mark.parametrize(
    "statement",
    [lambda: change_overview.planned_between(START, END), lambda: change_overview.awaiting_approval_by(ANN),
     lambda: change_overview.overrunning(NOW)],
    ids=["planned", "awaiting approval", "overrunning"],
)  # fmt: skip
def test_each_read_goes_through_the_state_and_planned_start_index(
    database: Database, statement: Callable[[], Executable]
) -> None:
    """Years of deploys recorded as changes, nearly all closed: the dashboard reads only those still ahead."""
    _request(database, *(_change(n, "closed" if n % 50 else STATES[n % len(STATES)],
                                 planned_start=START - timedelta(hours=n)) for n in range(3000)))  # fmt: skip
    found = plan(database, statement())
    assert "ix_changes_state_planned_start" in found, found
    assert "SCAN changes" not in found and "Seq Scan on changes" not in found, found
