"""The change state machine and the freeze rule, as pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hub.change_states import (
    ChangeFacts,
    ChangeRefused,
    Freeze,
    Vote,
    approvals_needed,
    available_actions,
    check_plan,
    deploy_state,
    early_by,
    freezes_hit,
    next_state,
    parse_ref,
    vote,
)

T0 = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
YEAR_END = Freeze("year-end", T0 - timedelta(days=1), T0 + timedelta(days=10))
ANN, BOB, CY = "ann@example.com", "bob@example.com", "cy@example.com"


def normal(**changes: object) -> ChangeFacts:
    base = ChangeFacts(ref="CHG-1", type="normal", state="assessed", service="mail", planned_start=T0,
                       planned_end=T0 + timedelta(hours=1), approvers=(ANN, BOB, CY), required_approvals=2)  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


# -- the happy path and its order -------------------------------------------------------------------------------


def test_a_normal_change_walks_the_whole_life_in_order() -> None:
    facts = normal(state="new")
    facts = replace(facts, state=next_state(facts, "assess"))
    assert facts.state == "assessed"
    for approver, expected in [(ANN, "assessed"), (BOB, "approved")]:
        facts = replace(facts, state=vote(facts, approver, "approve"), votes=(*facts.votes, Vote(approver, "approve")))
        assert facts.state == expected
    steps = [("schedule", None, "scheduled"), ("start", None, "implementing"), ("finish", "implemented", "implemented"),
             ("review", None, "reviewed"), ("close", None, "closed")]  # fmt: skip
    for action, outcome, expected in steps:
        facts = replace(facts, state=next_state(facts, action, outcome=outcome))
        assert facts.state == expected


@pytest.mark.parametrize(("state", "action"), [("new", "start"), ("assessed", "schedule"), ("scheduled", "review"),
                                               ("implemented", "close"), ("closed", "assess")])  # fmt: skip
def test_an_action_out_of_order_is_refused_naming_the_state_that_allows_it(state: str, action: str) -> None:
    with pytest.raises(ChangeRefused, match=f"CHG-1 is {state}"):
        next_state(normal(state=state), action)


@pytest.mark.parametrize("outcome", ["implemented", "failed", "backed_out"])
def test_finishing_records_how_it_went(outcome: str) -> None:
    assert next_state(normal(state="implementing"), "finish", outcome=outcome) == outcome


def test_finishing_without_an_outcome_is_refused() -> None:
    with pytest.raises(ChangeRefused, match="outcome"):
        next_state(normal(state="implementing"), "finish")


def test_a_rejected_change_can_only_be_closed() -> None:
    assert next_state(normal(state="rejected"), "close") == "closed"
    with pytest.raises(ChangeRefused):
        next_state(normal(state="rejected"), "schedule")


# -- approvals: N of M named approvers --------------------------------------------------------------------------


def test_one_approval_of_two_required_leaves_the_change_assessed() -> None:
    assert vote(normal(), ANN, "approve") == "assessed"


def test_the_nth_approval_approves() -> None:
    assert vote(normal(votes=(Vote(ANN, "approve"),)), CY, "approve") == "approved"


def test_rejections_that_leave_too_few_possible_approvals_reject() -> None:
    facts = normal()  # 2 of 3 needed: one rejection leaves two who could approve, a second leaves one
    assert vote(facts, ANN, "reject") == "assessed"
    assert vote(normal(votes=(Vote(ANN, "reject"),)), BOB, "reject") == "rejected"


def test_someone_not_named_cannot_approve() -> None:
    with pytest.raises(ChangeRefused, match="not an approver"):
        vote(normal(), "mallory@example.com", "approve")


def test_an_approver_decides_once() -> None:
    with pytest.raises(ChangeRefused, match="already decided"):
        vote(normal(votes=(Vote(ANN, "approve"),)), ANN.upper(), "approve")


def test_approvals_wait_until_the_change_is_assessed() -> None:
    with pytest.raises(ChangeRefused, match="assess it first"):
        vote(normal(state="new"), ANN, "approve")


def test_deciding_on_a_change_already_decided_says_so_rather_than_to_assess_it() -> None:
    with pytest.raises(ChangeRefused, match="CHG-1 is approved already: its approvers have decided") as refused:
        vote(normal(state="approved"), ANN, "reject")
    assert "assess" not in str(refused.value)


def test_a_standard_change_is_pre_approved_and_scheduled_without_approvals() -> None:
    standard = normal(type="standard", state="new", approvers=(), required_approvals=0)
    assert approvals_needed(standard, ()) == 0
    assert next_state(standard, "schedule") == "scheduled"
    with pytest.raises(ChangeRefused, match="pre-approved"):
        vote(replace(standard, state="assessed"), ANN, "approve")


def test_a_normal_change_cannot_skip_approval() -> None:
    with pytest.raises(ChangeRefused, match="only an approved change"):
        next_state(normal(state="assessed"), "schedule")


def test_more_approvals_required_than_approvers_named_is_refused() -> None:
    with pytest.raises(ChangeRefused, match="needs 2 approval"):
        check_plan(normal(approvers=(ANN,)), ())


def test_scheduling_needs_a_planned_start_and_says_how_to_give_it_one() -> None:
    with pytest.raises(ChangeRefused, match=r"no planned start: give it a window first.*change amend"):
        next_state(normal(state="approved", planned_start=None, planned_end=None), "schedule")


# -- freeze windows ---------------------------------------------------------------------------------------------


def test_a_change_overlapping_a_freeze_window_is_inside_it() -> None:
    start = YEAR_END.starts_at - timedelta(hours=1)
    assert freezes_hit(start, start + timedelta(hours=2), "mail", [YEAR_END]) == (YEAR_END,)


def test_a_change_ending_before_the_freeze_starts_is_not_inside_it() -> None:
    start = YEAR_END.starts_at - timedelta(hours=3)
    assert freezes_hit(start, start + timedelta(hours=1), "mail", [YEAR_END]) == ()


def test_a_change_starting_when_the_freeze_ends_is_not_inside_it() -> None:
    assert freezes_hit(YEAR_END.ends_at, None, "mail", [YEAR_END]) == ()


def test_a_freeze_on_one_service_leaves_other_services_free() -> None:
    mail_only = replace(YEAR_END, service="mail")
    assert freezes_hit(T0, None, "mail", [mail_only]) == (mail_only,)
    assert freezes_hit(T0, None, "billing", [mail_only]) == ()


def test_a_normal_change_inside_a_freeze_is_refused_with_what_to_do() -> None:
    with pytest.raises(ChangeRefused, match=r"inside freeze window 'year-end'.*emergency"):
        check_plan(normal(), (YEAR_END,))


def test_a_standard_change_inside_a_freeze_is_refused_too() -> None:
    with pytest.raises(ChangeRefused, match="only an emergency change"):
        check_plan(normal(type="standard", approvers=(), required_approvals=0), (YEAR_END,))


def test_an_emergency_change_inside_a_freeze_needs_one_approval_more() -> None:
    emergency = normal(type="emergency")
    assert approvals_needed(emergency, (YEAR_END,)) == 3
    assert approvals_needed(emergency, ()) == 2
    two = (Vote(ANN, "approve"), Vote(BOB, "approve"))
    assert vote(replace(emergency, votes=two[:1]), BOB, "approve", (YEAR_END,)) == "assessed"
    assert vote(replace(emergency, votes=two), CY, "approve", (YEAR_END,)) == "approved"


def test_an_emergency_change_inside_a_freeze_must_name_an_extra_approver() -> None:
    with pytest.raises(ChangeRefused, match="one more than usual"):
        check_plan(normal(type="emergency", approvers=(ANN, BOB)), (YEAR_END,))


def test_scheduling_into_a_freeze_added_after_approval_needs_the_extra_approval() -> None:
    approved = normal(type="emergency", state="approved", votes=(Vote(ANN, "approve"), Vote(BOB, "approve")))
    assert next_state(approved, "schedule") == "scheduled"
    with pytest.raises(ChangeRefused, match="needs 3 approvals, one more than usual; it has 2"):
        next_state(approved, "schedule", frozen=(YEAR_END,))


# -- deploys ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "state"), [("success", "implemented"), ("failure", "failed"),
                                               ("in_progress", "implementing")])  # fmt: skip
def test_a_first_deploy_report_sets_the_state(status: str, state: str) -> None:
    assert deploy_state(None, status) == state


def test_a_later_success_finishes_an_implementing_deploy() -> None:
    assert deploy_state("implementing", "success") == "implemented"


def test_a_late_in_progress_report_does_not_reopen_a_finished_deploy() -> None:
    assert deploy_state("implemented", "in_progress") is None


def test_a_repeated_report_changes_nothing() -> None:
    assert deploy_state("implemented", "success") is None


def test_change_refs_parse_whole_and_in_any_case() -> None:
    assert parse_ref("chg-12") == 12
    assert parse_ref("CHG-12x") is None


def test_the_actions_offered_follow_the_state_and_type() -> None:
    assert available_actions(normal(state="new")) == ("assess",)
    assert available_actions(normal(state="new", type="standard")) == ("assess", "schedule")
    assert available_actions(normal(state="assessed")) == ()  # waiting for approvals
    assert available_actions(normal(state="implementing")) == ("finish",)
    assert available_actions(normal(state="closed")) == ()


# -- starting early ---------------------------------------------------------------------------------------------


def test_starting_well_before_the_window_says_how_early() -> None:
    assert early_by(normal(state="scheduled"), T0 - timedelta(hours=3)) == timedelta(hours=3)


def test_starting_just_before_the_window_is_not_early() -> None:
    assert early_by(normal(state="scheduled"), T0 - timedelta(minutes=10)) is None
