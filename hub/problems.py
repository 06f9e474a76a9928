"""Problem records: created from a recurrence suggestion (or by hand), moved through the ITIL states, and linked to
the incidents they explain. Every change is one transaction with its timeline entries and audit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, bindparam, select, text, update
from sqlalchemy.orm import Session

from hub import audit, people, problem_followthrough, problem_resolution, revisions
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.errors import BadInput
from hub.lookback_cache import SUGGESTIONS_REVISION, LookbackCache
from hub.models import AuditEntry, Incident, Problem, TimelineEntry, utcnow
from hub.named_people import refuse_unknown_people
from hub.outbox import entry
from hub.prepared import Prepared
from hub.problem_resolution import Resolved
from hub.problem_states import ACTIVE, MOVES, STATES
from hub.recurrence import (
    DEFAULT_LOOKBACK,
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW,
    Occurrence,
    Suggestion,
    group_key,
    suggest,
)
from hub.recurrence_scan import before_window, earlier_in_group, occurrences_since
from hub.service_names import service_id
from hub.statements import INCIDENTS, INSERT_TIMELINE

#: The same, written out in SQL: prepared statements cannot expand a bound list.
_IS_ACTIVE = text("state IN ({})".format(", ".join(f"'{state}'" for state in ACTIVE)))


class ProblemError(BadInput):
    """The change does not fit the problem as it is now; the message says why."""


class NoSuchProblem(ProblemError):
    """The problem named does not exist (an API answers 404)."""


@dataclass(frozen=True)
class Recurrence:
    """How many incidents within which time make a problem worth suggesting: lately (`window`), or on a steady
    schedule (`lookback`)."""

    threshold: int = DEFAULT_THRESHOLD
    window: timedelta = DEFAULT_WINDOW
    lookback: timedelta = DEFAULT_LOOKBACK


@dataclass(frozen=True)
class Updated:
    """A problem as `update_problem` left it, and the incidents resolved with it (None when none were asked to be)."""

    problem: Problem
    resolved: Resolved | None = None

    def said(self) -> str:
        """What the change did, in a sentence: `PRB-4 resolved`, and what became of its incidents when asked."""
        state = self.problem.state
        if self.resolved is None:
            return f"{self.problem.ref} {state.replace('_', ' ')}"
        return problem_resolution.said(self.problem.ref, state, self.resolved)


def no_problem(ref: str) -> str:
    """What is said of a reference no problem answers to, at every door that takes one (API, CLI, links)."""
    return f"there is no problem {ref}; the Problems page or `switchboard problem list` shows them"


def next_state(current: str, wanted: str) -> str:
    if wanted not in STATES:
        raise ProblemError(f"unknown state {wanted!r}; use one of {', '.join(STATES)}")
    if wanted not in MOVES[current]:
        allowed = ", ".join(sorted(MOVES[current])) or "nothing (it is closed)"
        raise ProblemError(f"a {current.replace('_', ' ')} problem can move to {allowed}, not {wanted}")
    return wanted


def suggestions(
    session: Session,
    recurrence: Recurrence = Recurrence(),
    now: datetime | None = None,
    kept: LookbackCache | None = None,
) -> list[Suggestion]:
    """Recurrences no problem covers yet, from the incidents first seen within the window or the look-back: the
    window's all, the look-back's only where they could make a schedule (hub/recurrence_scan.py), read again only
    when `kept`'s are stale (hub/lookback_cache.py: the pages pass theirs; what files a problem reads afresh)."""
    now = now or utcnow()
    settings = (now, recurrence.window, recurrence.lookback, recurrence.threshold)
    older = kept.before_window(session, *settings) if kept is not None else before_window(session, *settings)
    rows = [*session.execute(occurrences_since(older.since)), *older.rows]
    covered = set(session.scalars(select(Problem.match_key).where(Problem.state.in_(ACTIVE))))
    found = suggest((Occurrence(*row) for row in rows), now, threshold=recurrence.threshold, window=recurrence.window,
                    lookback=recurrence.lookback)  # fmt: skip
    return [s for s in found if s.key not in covered]


def create_from_suggestion(
    db: Database, key: str, actor: str, recurrence: Recurrence = Recurrence(), now: datetime | None = None
) -> int:
    """One action: make the problem a suggestion describes and link its incidents; returns the problem's id."""
    with db.transaction() as session:
        found = next((s for s in suggestions(session, recurrence, now) if s.key == key), None)
        if found is None:
            raise ProblemError("that recurrence is no longer suggested (a problem may already cover it)")
        problem = Problem(title=found.title, match_key=found.key, service=found.service, category=found.category,
                          created_by=actor, root_cause="", workaround="")  # fmt: skip
        session.add(problem)
        session.flush()
        incident_ids = found.incident_ids
        if found.pattern == "burst":  # a burst names its window's incidents; the recurrence began earlier
            at = now or utcnow()
            earlier = earlier_in_group(key, found.first_seen, at - recurrence.lookback)
            incident_ids = (*incident_ids, *session.scalars(earlier.order_by(Incident.first_seen.desc())))
        _link(session, problem, incident_ids, actor)
        audit.record(session, actor, "problem.create", problem.ref, incidents=len(incident_ids), key=key)
        return problem.id


def create(
    db: Database,
    title: str,
    actor: str,
    *,
    incident_ids: tuple[int, ...] = (),
    owner: str | None = None,
    service: str | None = None,
) -> int:
    """A problem filed by hand (for a cause seen before it recurred), optionally linking incidents; its `owner`, if
    given, must be an active user, as an owner given later must (a review's follow-up keeps whom it named)."""
    with db.transaction() as session:
        if owner:
            refuse_unknown_people(session.connection(), [owner], "owner", ProblemError)
        return file(session, title, actor, incident_ids=incident_ids, owner=owner, service=service).id


def file(
    session: Session,
    title: str,
    actor: str,
    *,
    incident_ids: tuple[int, ...] = (),
    owner: str | None = None,
    service: str | None = None,
    **detail: object,
) -> Problem:
    """`create` in the caller's transaction, for what files a problem along with its own change (a review's
    follow-up action, hub/reviews.py); `detail` goes into the audit record. `service`, a catalogue service's name,
    wins over the one its first incident would give it."""
    title, service = title.strip(), (service or "").strip() or None
    if not title:
        raise ProblemError("give the problem a title")
    if service is not None:
        service_id(session, service)
    owner = (owner or "").strip() or None
    problem = Problem(title=title[:500], created_by=actor, root_cause="", workaround="", owner=owner, service=service)
    session.add(problem)
    session.flush()
    if incident_ids:
        first = session.get(Incident, incident_ids[0])
        if first is not None and (key := group_key(_occurrence(first))) is not None:
            problem.match_key = key[1]
            problem.service, problem.category = service or first.service, first.category
        _link(session, problem, incident_ids, actor)
    audit.record(session, actor, "problem.create", problem.ref, incidents=len(incident_ids), **detail)
    return problem


def update_problem(
    db: Database,
    problem_id: int,
    actor: str,
    *,
    state: str | None = None,
    root_cause: str | None = None,
    workaround: str | None = None,
    share_workaround: bool | None = None,
    owner: str | None = None,
    resolve_incidents: Mail | None = None,
) -> Updated:
    """Change a problem's state or record what was learned; a known error needs its workaround written down.

    `resolve_incidents`, the desk's mail settings, resolves the problem's open incidents with it, each told the
    problem and its root cause: the oldest batch here (hub/problem_resolution.py), and when more are open, the
    problem is marked for the workers to resolve the rest (hub/problem_followthrough.py). Only a resolved problem's
    incidents are, so it goes with `state="resolved"`, or with no state on a problem already resolved. Moving the
    problem back to investigating stops the background resolving, and its history says so."""
    with db.transaction() as session:
        problem = session.get(Problem, problem_id, with_for_update=True)
        if problem is None:
            raise NoSuchProblem(no_problem(f"PRB-{problem_id}"))
        changes: dict[str, object] = {}
        if owner is not None and owner.strip() != (problem.owner or ""):  # one kept from before stays till changed
            refuse_unknown_people(session.connection(), [owner], "owner", ProblemError)
        for name, value in (("root_cause", root_cause), ("workaround", workaround), ("owner", owner)):
            if value is not None and value.strip() != (getattr(problem, name) or ""):
                setattr(problem, name, value.strip()[:20_000] or (None if name == "owner" else ""))
                changes[name] = "changed"
        if share_workaround is not None and share_workaround != problem.share_workaround:
            problem.share_workaround = changes["share_workaround"] = share_workaround
        if state is not None and state != problem.state:
            target = next_state(problem.state, state)
            if target == "known_error" and not problem.workaround.strip():
                raise ProblemError("write down the workaround before marking it a known error")
            changes["state"] = f"{problem.state} → {target}"
            problem.state = target
            problem.resolved_at = utcnow() if target == "resolved" else problem.resolved_at
            if problem.resolving_since is not None and target not in problem_followthrough.FOLLOWED:
                changes["stopped_resolving"] = problem_resolution.open_count(session, problem.id)
                problem_followthrough.unmark(problem)
        resolved = None
        if resolve_incidents is not None:
            if problem.state != "resolved":
                raise ProblemError(f"incidents are resolved with their problem; resolve {problem.ref} too "
                                   "(its state resolved)")  # fmt: skip
            resolved = problem_resolution.resolve_open(session, problem, Actor(actor), resolve_incidents)
            if resolved.refs:
                changes["incidents_resolved"] = list(resolved.refs)
            if resolved.still_open:
                problem_followthrough.mark(problem, actor)
                changes["resolving"] = resolved.still_open
            else:
                problem_followthrough.unmark(problem)
        if changes:
            audit.record(session, actor, "problem.update", problem.ref, **changes)
        session.flush()
        session.expunge(problem)
        return Updated(problem, resolved)


def history(session: Session, ref: str) -> list[AuditEntry]:
    """What happened to a problem, oldest first: its audit entries (filed, what was learned, state moves, incidents
    and changes linked and unlinked)."""
    return audit.trail(session, ref, "problem.")


def names_in(session: Session, problem: Problem, history: list[AuditEntry]) -> dict[str, str]:
    """The display names of the people a problem's page and `problem show` name (its owner, who filed it, who asked
    for its incidents to be resolved, who did each thing in its history), read at once (hub/people.py `names_of`)."""
    named = [problem.owner, problem.created_by, problem.resolving_by, *(e.actor for e in history)]
    return people.names_of(session.connection(), named)


def what_happened(action: str, detail: dict[str, object] | None) -> str:
    """One entry of a problem's history in words, for its page and `problem show`: `marked a known error`,
    `linked INC-3`, `changed the root cause and the workaround`."""
    detail = detail or {}
    linked = detail.get("incident") or detail.get("change")
    if action == "problem.create":
        count = detail.get("incidents") or 0
        return "filed it" + (f" with {count} incident{'s' if count != 1 else ''}" if count else "")
    if action in ("problem.link", "problem.unlink"):
        moved = f" (moved from {detail['before']})" if detail.get("before") else ""
        return f"{'linked' if action == 'problem.link' else 'unlinked'} {linked}{moved}"
    said = [f"changed the {name.replace('_', ' ')}" for name in ("root_cause", "workaround", "owner") if name in detail]
    if "share_workaround" in detail:
        said.append("shared the workaround" if detail["share_workaround"] else "stopped sharing the workaround")
    if isinstance(state := detail.get("state"), str):
        target = state.rsplit(" ", 1)[-1]
        said.append({"known_error": "marked it a known error", "resolved": "resolved it", "closed": "closed it"}
                    .get(target, f"set it {target.replace('_', ' ')}"))  # fmt: skip
    background = action == problem_followthrough.ACTION
    if isinstance(refs := detail.get("incidents_resolved"), list) and refs:
        count = f"{len(refs):,} open incident{'s' if len(refs) != 1 else ''}"
        listed = problem_resolution.listed([str(ref) for ref in refs])
        said.append(f"resolved {count} with it{' in the background' if background else ''} ({listed})")
    if isinstance(left := detail.get("resolving"), int):
        said.append(problem_resolution.in_background(left))
    if background and isinstance(left := detail.get("still_open"), int):
        said.append(f"{left:,} still open" if left else "none left open")
    if isinstance(left := detail.get("stopped_resolving", detail.get("stopped")), int):
        why = f" as it is {str(detail['now']).replace('_', ' ')} now" if "now" in detail else ""
        said.append(f"stopped resolving its incidents in the background{why} ({left:,} still open)")
    return ", ".join(said) or action.removeprefix("problem.")


@dataclass(frozen=True)
class Known:
    """The active problem a new incident joined: what its page and acknowledgement can tell the requester."""

    ref: str
    title: str
    workaround: str
    share_workaround: bool


_PROBLEMS = cast(Table, Problem.__table__)
#: The newest active problem covering a recurrence: one prepared, indexed read per incident opened.
_ACTIVE_FOR_KEY = Prepared(
    select(_PROBLEMS.c.id, _PROBLEMS.c.title, _PROBLEMS.c.state, _PROBLEMS.c.workaround, _PROBLEMS.c.share_workaround)
    .where(_PROBLEMS.c.match_key == bindparam("key"), _IS_ACTIVE)
    .order_by(_PROBLEMS.c.id.desc())
    .limit(1),
    ("key",),
)


def link_new_incident(conn: Connection, incident_id: int, occurrence: Occurrence) -> Known | None:
    """Join a newly opened incident to the active problem covering its recurrence, if any, in the caller's
    transaction (one indexed read when there is none, so the ingest path barely notices)."""
    found = group_key(occurrence)
    if found is None:
        return None
    row = _ACTIVE_FOR_KEY.first(conn, {"key": found[1]})
    if row is None:
        return None
    problem_id, title, state, workaround, share = row
    ref = f"PRB-{problem_id}"
    conn.execute(update(INCIDENTS).where(INCIDENTS.c.id == incident_id).values(problem_id=problem_id))
    INSERT_TIMELINE.execute(conn, entry(incident_id, "problem", f"Linked to {ref}: {title} (it recurs)",
                                        data={"problem": ref}))  # fmt: skip
    known_error = state == "known_error" and bool(workaround.strip())
    return Known(ref, title, workaround if known_error else "", known_error and bool(share))


def _link(session: Session, problem: Problem, incident_ids: tuple[int, ...], actor: str) -> None:
    revisions.bump(session, SUGGESTIONS_REVISION)
    session.execute(update(Incident).where(Incident.id.in_(incident_ids)).values(problem_id=problem.id))
    for incident_id in incident_ids:
        session.add(TimelineEntry(incident_id=incident_id, kind="problem",
                                  summary=f"Linked to {problem.ref}: {problem.title} (by {actor})",
                                  data={"problem": problem.ref}))  # fmt: skip


def _occurrence(incident: Incident) -> Occurrence:
    return Occurrence(incident.id, incident.title, incident.first_seen, incident.dedup_key, incident.integration_id,
                      incident.service, incident.category, incident.problem_id)  # fmt: skip
