"""Change requests and freeze windows: create, amend, assess, approve or reject, schedule, start, finish, review,
close.

Each function works in the caller's transaction (the CLI's `in_transaction`, a web view's `db.transaction()`), so
one call is one transaction with its audit entry; which state may follow which is decided by the pure
hub/change_states.py. Deploys reported by tools are recorded by hub/deploys.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from hub import audit, change_problems, counting
from hub.assignees import ASSIGNABLE_ROLES
from hub.change_amend import Amended, Amendment, amended_plan, said, text_of
from hub.change_states import (
    CARRIED_OUT,
    OUTCOMES,
    RISKS,
    TYPES,
    ChangeFacts,
    ChangeRefused,
    Freeze,
    Vote,
    check_amend,
    check_plan,
    early_by,
    format_ref,
    freezes_hit,
    next_state,
    parse_ref,
    voided_by_move,
    vote,
)
from hub.errors import BadInput
from hub.models import AuditEntry, Change, ChangeApproval, FreezeWindow, User, utcnow
from hub.named_people import refuse_unknown_people
from hub.service_names import service_id

MAX_FREEZE = timedelta(days=366)


class NoSuchChange(ChangeRefused):
    """The change named does not exist."""


@dataclass(frozen=True)
class NewChange:
    """What a person asks for when they request a change."""

    title: str
    type: str = "normal"
    service: str | None = None
    risk: str = "low"
    impact: str = ""
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    implementation_plan: str = ""
    test_plan: str = ""
    backout_plan: str = ""
    approvers: tuple[str, ...] = ()
    required_approvals: int | None = None  # None: all of the approvers (M of M)
    link: str | None = None
    #: The problem it fixes, as typed: PRB-3, or an open problem's title (hub/change_problems.py).
    problem: str = ""


def create(session: Session, new: NewChange, actor: str) -> Change:
    """Store a new change request after checking its type, approvers and planned window (freezes included)."""
    title = new.title.strip()
    if not title or len(title) > 500:
        raise BadInput("a change needs a title of 1 to 500 characters, e.g. 'Upgrade PostgreSQL to 16'")
    if new.type not in TYPES:
        raise BadInput(f"type must be one of {', '.join(TYPES)}, not {new.type!r}")
    if new.risk not in RISKS:
        raise BadInput(f"risk must be one of {', '.join(RISKS)}, not {new.risk!r}")
    service = (new.service or "").strip() or None
    if service is not None:
        service_id(session, service)
    approvers = tuple(dict.fromkeys(a.strip().lower() for a in new.approvers if a.strip()))
    if any("@" not in a for a in approvers):
        raise BadInput("approvers are people's email addresses")
    required = len(approvers) if new.required_approvals is None else new.required_approvals
    if new.type == "standard":
        required = 0
    elif required > len(approvers):
        named = f"{len(approvers)} approver is" if len(approvers) == 1 else f"{len(approvers)} approvers are"
        raise BadInput(
            f"{required} approvals are required but only {named} named; name more approvers or ask for fewer approvals"
        )
    refuse_unknown_people(session.connection(), approvers, "approver", roles=ASSIGNABLE_ROLES, why="vote on changes")
    row = Change(
        title=title, type=new.type, state="new", service=service, risk=new.risk, impact=_text(new.impact),
        planned_start=new.planned_start, planned_end=new.planned_end,
        implementation_plan=_text(new.implementation_plan), test_plan=_text(new.test_plan),
        backout_plan=_text(new.backout_plan), requested_by=actor[:320], approvers=list(approvers),
        required_approvals=required, source="manual", link=_link(new.link),
    )  # fmt: skip
    facts = facts_of(row, ref="the change")
    check_plan(facts, freezes_in(session, facts))
    session.add(row)
    session.flush()
    audit.record(session, actor, "change.create", row.ref, type=row.type, service=row.service, risk=row.risk)
    change_problems.set_problem(session, row, new.problem, actor)
    return row


def fix_problem(session: Session, ref: str, typed: str | None, actor: str) -> Change:
    """Say which problem a change fixes (a reference or an open problem's title), or none when `typed` is empty."""
    row = _locked(session, ref)
    change_problems.set_problem(session, row, typed, actor)
    return row


def web_link(text: str | None) -> str | None:
    """`text` when it is an http(s) address, else None. A change's link is shown as a link on its page and beside
    the incidents it may have caused: a `javascript:` or `data:` one, from a deploy tool's report or the form, would
    run in the page of whoever clicked it."""
    link = (text or "").strip()
    parts = urlsplit(link)
    return link if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _link(text: str | None) -> str | None:
    if not (text or "").strip():
        return None
    if (link := web_link(text)) is None:
        raise BadInput(f"the link {text!r} is not an http:// or https:// address; give the page's full address")
    return link


def advance(
    session: Session, ref: str, action: str, actor: str, *, outcome: str | None = None, review: str = ""
) -> Change:
    """Move a change on by one step (assess, schedule, start, finish with an outcome, review, close); `review` is
    what the reviewer says happened and was learned, kept with the change and in its history."""
    row = _locked(session, ref)
    facts = facts_of(row)
    state = next_state(facts, action, outcome=outcome, frozen=freezes_in(session, facts))
    before, row.state = row.state, state
    if state in OUTCOMES and row.implemented_at is None:
        # Only `finish` carries a change out: closing a rejected one must not date it like a deploy, or incidents
        # after it would name it their likely culprit and rules would read it as `change.minutes_ago`.
        row.implemented_at = utcnow()
    said: dict[str, str] = {}
    if action == "review" and review.strip():
        row.review = said["review"] = _text(review)
    audit.record(session, actor, f"change.{action}", row.ref, **{"from": before, "to": state}, **said)
    return row


def early_start(row: Change, now: datetime, shown: Callable[[datetime], str]) -> str | None:
    """The warning for starting `row` now, well before its window (None when it is not early), its times written
    by `shown` (the page's zone, or the CLI's)."""
    early = early_by(facts_of(row), now)
    if early is None or row.planned_start is None:
        return None
    hours, minutes = divmod(int(early.total_seconds()) // 60, 60)
    ahead = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    end = f" to {shown(row.planned_end)}" if row.planned_end is not None else ""
    return (
        f"{row.ref} was started {ahead} before its window ({shown(row.planned_start)}{end}), at {shown(now)}:"
        " tell whoever expects it then, or amend its window so the calendar shows when it really happens"
    )


#: The role that may amend any change's plan, not only the changes they requested.
AMENDS_ANY = "admin"


def may_amend_any(session: Session, who: str) -> bool:
    """Whether `who` may amend any change's plan (an admin), as the page lets them."""
    return session.scalar(select(User.role).where(User.email == who.strip().lower())) == AMENDS_ANY


def amend(session: Session, ref: str, amendment: Amendment, actor: str, *, anyones: bool = False) -> Amended:
    """Amend a change's plan before work on it starts: by its requester, or anyone when `anyones` (an admin).

    Approvers approve a change for its window, so moving it clears the votes given and sends an approved or
    scheduled change back to assessed, to be approved again; re-wording the plans does not (the history shows
    each amendment, old -> new, for the approvers to read).
    """
    row = _locked(session, ref)
    facts = facts_of(row)
    check_amend(facts, actor, row.requested_by, anyones=anyones)
    wanted = amended_plan(row, amendment)
    changed = {name: (getattr(row, name), value) for name, value in wanted.items() if getattr(row, name) != value}
    if not changed:
        return Amended(row, {}, False)
    start, end = wanted["planned_start"], wanted["planned_end"]
    if (start, end) != (row.planned_start, row.planned_end):  # a freeze added since is no reason to refuse a re-wording
        moved = replace(facts, planned_start=start, planned_end=end)
        check_plan(moved, freezes_in(session, moved))
    reapproval = voided_by_move(facts, start, end)
    before = row.state
    for name, (_, value) in changed.items():
        setattr(row, name, value)
    if reapproval:
        row.approvals.clear()  # the votes stay in the history (change.approve entries), not in the count
        if row.state in ("approved", "scheduled"):
            row.state = "assessed"
    audit.record(session, actor, "change.amend", row.ref, changed={k: [said(o), said(n)] for k, (o, n) in
                 changed.items()}, reapproval=reapproval, **{"from": before, "to": row.state})  # fmt: skip
    return Amended(row, changed, reapproval)


def decide(session: Session, ref: str, approver: str, decision: str, comment: str = "") -> Change:
    """Record a named approver's approve or reject with their comment; the change is approved or rejected once
    the votes decide it (N of M, one more inside a freeze window)."""
    row = _locked(session, ref)
    facts = facts_of(row)
    before = row.state
    row.state = vote(facts, approver, decision, freezes_in(session, facts))
    row.approvals.append(ChangeApproval(approver=approver.strip().lower(), decision=decision, comment=_text(comment)))
    audit.record(session, approver, f"change.{decision}", row.ref, comment=comment[:500], **{"from": before,
                 "to": row.state})  # fmt: skip
    return row


def facts_of(row: Change, ref: str | None = None) -> ChangeFacts:
    votes = tuple(Vote(a.approver, a.decision) for a in row.approvals) if row.id is not None else ()
    return ChangeFacts(
        ref=ref or row.ref, type=row.type, state=row.state, service=row.service, planned_start=row.planned_start,
        planned_end=row.planned_end, approvers=tuple(row.approvers or ()),
        required_approvals=row.required_approvals or 0, votes=votes,
    )  # fmt: skip


def get(session: Session, ref: str) -> Change | None:
    """One change with its approvals loaded, so it can be read after the session closes."""
    found = parse_ref(ref)
    if found is None:
        return None
    return session.scalar(select(Change).where(Change.id == found).options(selectinload(Change.approvals)))


def listing(
    session: Session, *, state: str | None = None, service: str | None = None, limit: int = 200, offset: int = 0
) -> list[Change]:
    """Changes, newest first, optionally in one state or on one service: `limit` of them from `offset`."""
    query = select(Change).where(*_narrowed(state, service)).order_by(Change.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query.options(selectinload(Change.approvals))))


def count(session: Session, *, state: str | None = None, service: str | None = None) -> int:
    """How many changes `listing` finds over all its pages."""
    return counting.counted(session, select(Change.id).where(*_narrowed(state, service)), None)[0]


def _narrowed(state: str | None, service: str | None) -> list[ColumnElement[bool]]:
    return [*([Change.state == state] if state else []), *([Change.service == service] if service else [])]


def going_ahead() -> ColumnElement[bool]:
    """Changes that may still be (or were) carried out: not rejected, nor closed without being carried out. A plan
    that will never happen should not fill a calendar night nor clash with another change."""
    called_off = (Change.state == "rejected") | ((Change.state == "closed") & Change.implemented_at.is_(None))
    return ~called_off


def between(session: Session, start: datetime, end: datetime) -> list[Change]:
    """Changes planned (and going ahead) or carried out between two times (the calendar), in time order."""
    planned = (
        (Change.planned_start < end)
        & (func.coalesce(Change.planned_end, Change.planned_start) >= start)
        & going_ahead()
    )
    done = Change.implemented_at.between(start, end)
    query = select(Change).where(or_(planned, done)).order_by(Change.planned_start, Change.implemented_at)
    return list(session.scalars(query))


def clashes(session: Session, row: Change) -> list[Change]:
    """The other changes going ahead on the same service whose planned windows overlap this one's, in time order:
    the collision a change advisory board looks for before two teams work on one service the same night. None for
    a change with no service or plan, or one carried out or called off (it no longer clashes with anything)."""
    if row.service is None or row.planned_start is None or row.state in {*CARRIED_OUT, "rejected"}:
        return []
    start, end = row.planned_start, row.planned_end or row.planned_start
    overlaps = (Change.planned_start < end) & (func.coalesce(Change.planned_end, Change.planned_start) > start)
    query = select(Change).where(
        Change.service == row.service,
        Change.id != row.id,
        overlaps | (Change.planned_start == start),
        Change.state.not_in((*CARRIED_OUT, "rejected")),
    )
    return list(session.scalars(query.order_by(Change.planned_start, Change.id)))


def history(session: Session, ref: str) -> list[AuditEntry]:
    """What happened to a change, oldest first: its audit entries."""
    return audit.trail(session, ref, "change.")


def _locked(session: Session, ref: str) -> Change:
    found = parse_ref(ref)
    if found is None:
        raise NoSuchChange(f"{ref!r} is not a change reference; write it as CHG-12")
    row = session.scalar(
        select(Change).where(Change.id == found).options(selectinload(Change.approvals)).with_for_update()
    )
    if row is None:
        raise NoSuchChange(f"there is no change {format_ref(found)}; `switchboard change list` shows them")
    return row


def _text(value: str) -> str:
    return text_of(value)


# -- freeze windows ---------------------------------------------------------------------------------------------


def add_freeze(
    session: Session,
    *,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    service: str | None = None,
    created_by: str,
) -> FreezeWindow:
    """Store a freeze window: changes planned inside it must be emergencies with one extra approval."""
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("a freeze window needs a name of 1 to 100 characters, e.g. 'year-end'")
    if ends_at <= starts_at:
        raise BadInput("a freeze window must end after it starts")
    if ends_at - starts_at > MAX_FREEZE:
        raise BadInput("a freeze window lasts at most a year; add another for the time after")
    service = (service or "").strip() or None
    if service is not None:
        service_id(session, service)
    row = FreezeWindow(name=name, starts_at=starts_at, ends_at=ends_at, reason=_text(reason), service=service,
                       created_by=created_by[:320])  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(session, created_by, "freeze.create", f"freeze {row.id}", name=name, service=service,
                 starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())  # fmt: skip
    return row


def freezes(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> list[FreezeWindow]:
    """Freeze windows that end after `since` (default now) and start before `until`, in time order."""
    query = select(FreezeWindow).where(FreezeWindow.ends_at > (since or utcnow()))
    if until is not None:
        query = query.where(FreezeWindow.starts_at < until)
    return list(session.scalars(query.order_by(FreezeWindow.starts_at)))


def freezes_in(session: Session, facts: ChangeFacts) -> tuple[Freeze, ...]:
    """The freeze windows the change is planned inside (the one query behind every freeze check)."""
    if facts.planned_start is None:
        return ()
    end = facts.planned_end or facts.planned_start
    rows = session.scalars(
        select(FreezeWindow).where(FreezeWindow.ends_at > facts.planned_start, FreezeWindow.starts_at <= end)
    )
    return freezes_hit(facts.planned_start, facts.planned_end, facts.service, [freeze_of(r) for r in rows])


def freeze_of(row: FreezeWindow) -> Freeze:
    return Freeze(name=row.name, starts_at=row.starts_at, ends_at=row.ends_at, service=row.service)
