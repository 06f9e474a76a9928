"""A change names the problem it fixes: typed as the incident page's link is, audited on both, listed with outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub import audit, change_problems, changes, problems
from hub.agent_action import TriageError
from hub.db import Database
from hub.models import AuditEntry, Change, utcnow

CAROL = "carol@example.com"


def problem(db: Database, title: str = "VPN drops every night") -> int:
    return problems.create(db, title, CAROL)


def change(db: Database, fixes: str = "", title: str = "Raise the VPN idle timeout") -> str:
    with db.transaction() as session:
        new = changes.NewChange(title=title, type="standard", planned_start=utcnow() + timedelta(days=1), problem=fixes)
        return changes.create(session, new, CAROL).ref


def carry_out(db: Database, ref: str, outcome: str, then: tuple[str, ...] = ()) -> None:
    with db.transaction() as session:
        for action in ("schedule", "start"):
            changes.advance(session, ref, action, CAROL)
        changes.advance(session, ref, "finish", CAROL, outcome=outcome)
        for action in then:
            changes.advance(session, ref, action, CAROL)


def trail(db: Database, target: str) -> list[tuple[str, dict[str, object] | None]]:
    with db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.target == target).order_by(AuditEntry.id))
        return [(row.action, row.detail) for row in rows]


def test_a_change_requested_to_fix_a_problem_names_it_and_both_trails_say_so(db: Database) -> None:
    number = problem(db)
    ref = change(db, fixes=f"PRB-{number}")
    with db.read() as session:
        row = session.get(Change, int(ref.removeprefix("CHG-")))
        assert row is not None and row.problem_id == number
    assert ("change.problem", {"from": None, "to": f"PRB-{number}"}) in trail(db, ref)
    assert ("problem.link", {"change": ref}) in trail(db, f"PRB-{number}")


def test_a_problem_is_found_by_its_title_as_the_datalist_offers_it(db: Database) -> None:
    number = problem(db)
    ref = change(db)
    with db.transaction() as session:
        assert changes.fix_problem(session, ref, f"PRB-{number}: VPN drops every night", CAROL).problem_id == number
    with db.transaction() as session:
        assert changes.fix_problem(session, ref, "vpn drops every night", CAROL).problem_id == number


def test_moving_a_change_to_another_problem_unlinks_it_from_the_first(db: Database) -> None:
    first, second = problem(db), problem(db, "Mail queue stalls")
    ref = change(db, fixes=f"PRB-{first}")
    with db.transaction() as session:
        changes.fix_problem(session, ref, f"PRB-{second}", CAROL)
    assert ("problem.unlink", {"change": ref}) in trail(db, f"PRB-{first}")
    assert ("problem.link", {"change": ref}) in trail(db, f"PRB-{second}")
    with db.read() as session:
        assert change_problems.fixes(session, first) == []
        assert [fix.ref for fix in change_problems.fixes(session, second)] == [ref]


def test_clearing_the_problem_twice_records_it_once(db: Database) -> None:
    number = problem(db)
    ref = change(db, fixes=f"PRB-{number}")
    for _ in range(2):
        with db.transaction() as session:
            assert changes.fix_problem(session, ref, "", CAROL).problem_id is None
    assert [action for action, _ in trail(db, f"PRB-{number}")].count("problem.unlink") == 1


def test_a_closed_problem_takes_no_change_and_says_what_to_do(db: Database) -> None:
    number = problem(db)
    problems.update_problem(db, number, CAROL, state="closed")
    with pytest.raises(TriageError, match="set this one back to investigating"):
        change(db, fixes=f"PRB-{number}")
    with db.read() as session:
        assert session.scalar(select(Change.id)) is None


def test_an_unknown_problem_is_refused_with_what_to_type(db: Database) -> None:
    with pytest.raises(TriageError, match="no open problem has the title 'the printer'"):
        change(db, fixes="the printer")


def test_only_a_change_carried_out_as_implemented_fixed_the_problem(db: Database) -> None:
    number = problem(db)
    failed, done = change(db, fixes=f"PRB-{number}"), change(db, fixes=f"PRB-{number}", title="Replace the VPN box")
    carry_out(db, failed, "failed")
    with db.read() as session:
        assert change_problems.fixed_by(change_problems.fixes(session, number)) is None
    carry_out(db, done, "implemented", then=("review", "close"))
    with db.read() as session:
        found = change_problems.fixes(session, number)
    assert [(fix.ref, fix.state, fix.succeeded) for fix in found] == [(failed, "failed", False),
                                                                      (done, "closed", True)]  # fmt: skip
    fixed = change_problems.fixed_by(found)
    assert fixed is not None and fixed.ref == done


def test_a_carried_out_fix_leaves_the_problem_as_it_was(db: Database) -> None:
    number = problem(db)
    carry_out(db, change(db, fixes=f"PRB-{number}"), "implemented")
    with db.read() as session:
        assert [e.action for e in audit.recent(session, action="problem.update")] == []
    assert problems.update_problem(db, number, CAROL).problem.state == "new"
