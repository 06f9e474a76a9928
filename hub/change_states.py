"""Which state a change request may move to, and when the rules of change enablement refuse: pure, no I/O.

The life of a change: new -> assessed -> approved | rejected -> scheduled -> implementing -> implemented | failed |
backed_out -> reviewed -> closed. Standard changes are pre-approved: they skip approval and are scheduled straight
from new or assessed. A normal or emergency change is approved once N of its M named approvers approved, and
rejected once so many rejected that N can no longer be reached. A change planned inside a freeze window must be an
emergency and needs one approval more than usual. Deploys reported by tools are recorded after the fact and move
only by `deploy_state`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.errors import BadInput
from hub.numbers import reference

TYPES = ("standard", "normal", "emergency")
RISKS = ("low", "medium", "high")
STATES = (
    "new", "assessed", "approved", "rejected", "scheduled", "implementing",
    "implemented", "failed", "backed_out", "reviewed", "closed",
)  # fmt: skip
OUTCOMES = ("implemented", "failed", "backed_out")
#: States in which the change has been carried out (or tried): what incidents are correlated with.
CARRIED_OUT = frozenset({*OUTCOMES, "reviewed", "closed"})
DECISIONS = ("approve", "reject")

#: action -> (states it may start from, the state it leads to); approve/reject and finish are decided below.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "assess": (frozenset({"new"}), "assessed"),
    "schedule": (frozenset({"approved"}), "scheduled"),
    "start": (frozenset({"scheduled"}), "implementing"),
    "review": (frozenset(OUTCOMES), "reviewed"),
    "close": (frozenset({"reviewed", "rejected"}), "closed"),
}
ACTIONS = ("assess", "schedule", "start", "finish", "review", "close")
#: States whose plan (title, window, risk, impact, plans) may still be amended: once work starts, the plan is history.
AMENDABLE = frozenset({"new", "assessed", "approved", "scheduled"})
#: Starting a change more than this before its planned start is warned about (the page and the CLI say so).
EARLY_GRACE = timedelta(minutes=30)


class ChangeRefused(BadInput):
    """The action does not fit the change as it is now; the message says why and what would."""


class NotTheirs(ChangeRefused):
    """The person may not amend this change: it is neither theirs nor are they an admin."""


def format_ref(change_id: int) -> str:
    return f"CHG-{change_id}"


def parse_ref(ref: str) -> int | None:
    """The id in a whole reference like `CHG-7` (any case), or None."""
    return reference("CHG", ref)


@dataclass(frozen=True)
class Freeze:
    """A freeze window as the rules see it: no changes between the two times, on one service or (None) all."""

    name: str
    starts_at: datetime
    ends_at: datetime
    service: str | None = None


@dataclass(frozen=True)
class Vote:
    approver: str
    decision: str  # approve|reject


@dataclass(frozen=True)
class ChangeFacts:
    """What the state machine needs to know about one change."""

    ref: str
    type: str
    state: str
    service: str | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    approvers: tuple[str, ...] = ()
    required_approvals: int = 0
    votes: tuple[Vote, ...] = ()


def freezes_hit(
    start: datetime | None, end: datetime | None, service: str | None, freezes: Sequence[Freeze]
) -> tuple[Freeze, ...]:
    """The freeze windows a change planned from `start` to `end` on `service` falls (partly) inside.

    A change with no planned end is taken to last an instant; one with no planned time is inside none.
    """
    if start is None:
        return ()
    finish = end if end is not None and end > start else start
    return tuple(
        f
        for f in freezes
        if (f.service is None or f.service == service) and f.starts_at <= finish and start < f.ends_at
    )


def approvals_needed(facts: ChangeFacts, frozen: Sequence[Freeze]) -> int:
    """How many approvals the change needs: none for standard, N for the rest, N + 1 inside a freeze window."""
    if facts.type == "standard":
        return 0
    return facts.required_approvals + (1 if frozen else 0)


def check_plan(facts: ChangeFacts, frozen: Sequence[Freeze]) -> None:
    """Refuse a change whose type, approvers or planned window cannot work; say what would."""
    if facts.type not in TYPES:
        raise ChangeRefused(f"type must be one of {', '.join(TYPES)}, not {facts.type!r}")
    if facts.planned_start and facts.planned_end and facts.planned_end < facts.planned_start:
        raise ChangeRefused("the planned end is before the planned start")
    if frozen and facts.type != "emergency":
        names = ", ".join(repr(f.name) for f in frozen)
        raise ChangeRefused(
            f"{facts.ref} is planned inside freeze window {names}: only an emergency change may be, and it needs "
            "one approval more than usual; plan it outside the freeze or make it an emergency change"
        )
    if facts.type == "standard":
        return
    needed = approvals_needed(facts, frozen)
    if facts.required_approvals < 1:
        raise ChangeRefused(f"a {facts.type} change needs at least one approval: set the number required (N of M)")
    if len(set(facts.approvers)) < needed:
        extra = " (one more than usual: it is planned inside a freeze window)" if frozen else ""
        raise ChangeRefused(
            f"{facts.ref} needs {needed} approval(s){extra} but names {len(set(facts.approvers))} approver(s);"
            " name at least as many approvers as approvals needed"
        )


def next_state(facts: ChangeFacts, action: str, *, outcome: str | None = None, frozen: Sequence[Freeze] = ()) -> str:
    """The state `action` leads to, or ChangeRefused saying which states allow it.

    `frozen` are the freeze windows the change is planned in (`freezes_hit`); `outcome` is what `finish` reports.
    """
    if action == "finish":
        if facts.state != "implementing":
            raise ChangeRefused(f"{facts.ref} is {facts.state}; only an implementing change can be finished")
        if outcome not in OUTCOMES:
            raise ChangeRefused(f"say how it went: the outcome is one of {', '.join(OUTCOMES)}")
        return outcome
    if action == "schedule":
        return _schedule(facts, frozen)
    if action not in TRANSITIONS:
        raise ChangeRefused(f"unknown action {action!r}; use one of {', '.join(ACTIONS)} (or approve/reject)")
    allowed_from, to = TRANSITIONS[action]
    if facts.state not in allowed_from:
        starts = " or ".join(sorted(allowed_from))
        raise ChangeRefused(f"{facts.ref} is {facts.state}; only a {starts} change can {action}")
    return to


def available_actions(facts: ChangeFacts) -> tuple[str, ...]:
    """The actions the change's state allows (a freeze or missing approvals may still refuse one, with a reason)."""
    found = [a for a, (starts, _) in TRANSITIONS.items() if facts.state in starts and a != "schedule"]
    if facts.state == "approved" or (facts.type == "standard" and facts.state in ("new", "assessed")):
        found.append("schedule")
    if facts.state == "implementing":
        found.append("finish")
    return tuple(a for a in ACTIONS if a in found)


def check_amend(facts: ChangeFacts, actor: str, requested_by: str, *, anyones: bool) -> None:
    """Refuse to amend a change's plan once work on it started, or for anyone but its requester or an admin."""
    if facts.state not in AMENDABLE:
        why = "request a new change" if facts.state in ("rejected", "closed") else "record what happened in its review"
        raise ChangeRefused(
            f"{facts.ref} is {facts.state.replace('_', ' ')}: a plan can be amended only before work starts (new,"
            f" assessed, approved or scheduled); {why}"
        )
    if not anyones and actor.strip().lower() != requested_by.strip().lower():
        raise NotTheirs(
            f"only {facts.ref}'s requester, {requested_by}, or an admin may amend its plan; ask one of them"
        )


def voided_by_move(facts: ChangeFacts, start: datetime | None, end: datetime | None) -> bool:
    """Whether moving the window to `start`..`end` voids the votes given: approvers approve a change for its window
    (the freezes, clashes and status-page notice it is checked against hang on it), so a moved window asks them
    again. Standard changes are pre-approved and have no votes to void."""
    moved = (start, end) != (facts.planned_start, facts.planned_end)
    return moved and facts.type != "standard" and (bool(facts.votes) or facts.state in ("approved", "scheduled"))


def early_by(facts: ChangeFacts, now: datetime) -> timedelta | None:
    """How long before its planned start the change is started `now`, when that is more than EARLY_GRACE: a warning,
    not a refusal, since the window is a plan and the people starting it may know better."""
    if facts.planned_start is None or facts.planned_start - now <= EARLY_GRACE:
        return None
    return facts.planned_start - now


def _schedule(facts: ChangeFacts, frozen: Sequence[Freeze]) -> str:
    if facts.planned_start is None:
        raise ChangeRefused(
            f"{facts.ref} has no planned start: give it a window first (Amend the plan on its page, or"
            f" `switchboard change amend {facts.ref} --start ... --end ...`)"
        )
    check_plan(facts, frozen)
    pre_approved = facts.type == "standard" and facts.state in ("new", "assessed")
    if facts.state != "approved" and not pre_approved:
        only = "an approved change (or a new or assessed standard one)"
        raise ChangeRefused(f"{facts.ref} is {facts.state}; only {only} can be scheduled")
    approvals, needed = _count(facts.votes, "approve"), approvals_needed(facts, frozen)
    if approvals < needed:
        why = f" inside freeze window {', '.join(repr(f.name) for f in frozen)}" if frozen else ""
        more = ", one more than usual" if frozen else ""
        raise ChangeRefused(f"{facts.ref} is planned{why} and needs {needed} approvals{more}; it has {approvals}")
    return "scheduled"


def vote(facts: ChangeFacts, approver: str, decision: str, frozen: Sequence[Freeze] = ()) -> str:
    """Record one approver's decision: the state the change is in afterwards (still assessed until decided)."""
    if decision not in DECISIONS:
        raise ChangeRefused(f"the decision is approve or reject, not {decision!r}")
    if facts.type == "standard":
        raise ChangeRefused(f"{facts.ref} is a standard change: it is pre-approved and takes no approvals")
    if facts.state in ("approved", "rejected"):
        raise ChangeRefused(f"{facts.ref} is {facts.state} already: its approvers have decided, nothing more is asked")
    if facts.state != "assessed":
        first = " (assess it first)" if facts.state == "new" else ""
        raise ChangeRefused(f"{facts.ref} is {facts.state}; approvals are given to assessed changes{first}")
    who = approver.strip().lower()
    named = {a.lower() for a in facts.approvers}
    if who not in named:
        raise ChangeRefused(
            f"{approver} is not an approver of {facts.ref}; its approvers are {', '.join(sorted(named))}"
        )
    if any(v.approver.lower() == who for v in facts.votes):
        raise ChangeRefused(f"{approver} has already decided on {facts.ref}")
    votes = (*facts.votes, Vote(who, decision))
    needed = approvals_needed(facts, frozen)
    approved, rejected = _count(votes, "approve"), _count(votes, "reject")
    if approved >= needed:
        return "approved"
    if len(named) - rejected < needed:  # too few approvers left who could still approve
        return "rejected"
    return "assessed"


def deploy_state(current: str | None, status: str) -> str | None:
    """The state a deploy's reported status puts its change in; None when it changes nothing.

    A finished deploy never goes back to implementing because a late or repeated in-progress report arrives.
    """
    target = {"success": "implemented", "failure": "failed", "in_progress": "implementing"}[status]
    if current is None:
        return target
    if current == target or (target == "implementing" and current != "implementing"):
        return None
    if current in ("reviewed", "closed"):
        return None
    return target


def _count(votes: Sequence[Vote], decision: str) -> int:
    return sum(1 for v in votes if v.decision == decision)
