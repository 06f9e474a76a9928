"""Problem management on the dashboard: active problems by state, the oldest unowned, the shared known errors; each
read through the index on (state, owner)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Executable, insert

from hub import problem_overview
from hub.db import Database
from hub.models import Problem
from hub.problem_states import STATES
from tests.plans import plan


def _problem(n: int, state: str = "new", **extra: Any) -> dict[str, Any]:
    return {"title": f"Problem {n}", "state": state, "root_cause": "", "workaround": "", "share_workaround": False,
            "created_by": "ann@example.com", **extra}  # fmt: skip


def _file(db: Database, *rows: dict[str, Any]) -> None:
    with db.transaction() as session:
        session.execute(insert(Problem), list(rows))


def _read(db: Database) -> problem_overview.ProblemOverview:
    with db.read() as session:
        return problem_overview.read(session)


def test_active_problems_are_counted_by_state_and_resolved_or_closed_ones_are_not(database: Database) -> None:
    states = ["new", "new", "investigating", "known_error", "resolved", "closed"]
    _file(database, *(_problem(n, state) for n, state in enumerate(states)))
    overview = _read(database)
    assert overview.active == {"new": 2, "investigating": 1, "known_error": 1}
    assert overview.total == 4


def test_a_desk_without_problems_counts_every_active_state_as_none(database: Database) -> None:
    overview = _read(database)
    assert overview.active == {"new": 0, "investigating": 0, "known_error": 0}
    assert overview.oldest_unowned is None and overview.shared_known_errors == []


def test_the_oldest_unowned_problem_is_the_first_filed_active_one_without_an_owner(database: Database) -> None:
    _file(database, _problem(1, "closed"), _problem(2, owner="ann@example.com"), _problem(3, "investigating"),
          _problem(4))  # fmt: skip
    found = _read(database).oldest_unowned
    assert found is not None and (found.ref, found.title) == ("PRB-3", "Problem 3")


def test_only_known_errors_whose_workaround_is_shared_are_listed_newest_first(database: Database) -> None:
    _file(database, _problem(1, "known_error", workaround="Restart", share_workaround=True),
          _problem(2, "known_error", workaround="Restart"),
          _problem(3, "resolved", workaround="Restart", share_workaround=True),
          _problem(4, "known_error", workaround="Reboot", share_workaround=True))  # fmt: skip
    assert [p.ref for p in _read(database).shared_known_errors] == ["PRB-4", "PRB-1"]


@pytest.mark.parametrize(
    "statement",
    [problem_overview.active_by_state, problem_overview.oldest_unowned, problem_overview.shared_known_errors],
    ids=["by state", "oldest unowned", "shared known errors"],
)
def test_each_read_goes_through_the_state_and_owner_index(
    database: Database, statement: Callable[[], Executable]
) -> None:
    """Years of problems, nearly all resolved or closed: the dashboard reads only the active ones."""
    _file(database, *(_problem(n, STATES[3 + n % 2] if n % 50 else STATES[n % 3]) for n in range(3000)))
    found = plan(database, statement())
    assert "ix_problems_state_owner" in found, found
    assert "SCAN problems" not in found and "Seq Scan on problems" not in found, found
