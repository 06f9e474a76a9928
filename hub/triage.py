"""What agents do to an incident's state: acknowledge, wait, resume, resolve, close, reopen, assign, prioritise,
categorise (category, service, kind), name its CI, retitle, set its public note, watch, merge.

Each action is one transaction that changes the incident, writes its timeline entry and owes the notices it
causes, so the web UI, the API and the CLI share one implementation; the field changes' `..._in` twins (and
`status_change`) do the same in the caller's transaction, so several make one (hub/incident_fields.py). Which
status may follow which is a pure table (`next_status`), tested on its own. What agents write on an incident
(notes, replies, time spent) is in `hub/incident_notes.py`; what both share (`Actor`, `Mail`, the lock, the
errors) in `hub/agent_action.py`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub import (
    ci_links,
    cis,
    escalation,
    lookback_cache,
    merged_requesters,
    notices,
    recipients,
    sla,
    sla_pauses,
    status_page,
)
from hub.agent_action import (
    BY_EMAIL,
    Actor,
    Mail,
    NoSuchIncident,
    TriageError,
    by_email,
    checked_text,
    locked,
    worked_elsewhere,
)
from hub.db import Database
from hub.domain import INCIDENT_KINDS, format_ref, no_incident
from hub.models import INCIDENT_STATUSES, OPEN_STATUSES, Incident, utcnow
from hub.names import NAME_WIDTH, is_one_line
from hub.outbox import entry, is_active_user, owe
from hub.sla import SlaBookCache
from hub.statements import INSERT_TIMELINE

#: action -> (statuses it may start from, the status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({"open"}), "acknowledged"),
    "wait": (frozenset({"open", "acknowledged"}), "waiting"),  # on the requester: SLA clocks pause
    "resume": (frozenset({"waiting"}), "open"),  # (acknowledged again, if it had been)
    "resolve": (frozenset({"open", "acknowledged", "waiting"}), "resolved"),
    "close": (frozenset({"resolved"}), "closed"),
    "reopen": (frozenset({"resolved", "closed"}), "open"),
}
STATUS_ACTIONS = tuple(TRANSITIONS)
PRIORITIES = range(1, 6)
KEEP: Any = object()  # an argument left out: keep what the incident has
TITLE_WIDTH = 500  # incidents.title


def next_status(current: str, action: str, ref: str = "the incident") -> str:
    """The status `action` leads to from `current`, or TriageError saying which statuses allow it."""
    if action not in TRANSITIONS:
        raise TriageError(f"unknown action {action!r}; use one of {', '.join(STATUS_ACTIONS)}")
    allowed_from, to = TRANSITIONS[action]
    if current not in allowed_from:
        named = [status for status in INCIDENT_STATUSES if status in allowed_from]  # in the order work goes
        starts = f"{', '.join(named[:-1])} or {named[-1]}" if len(named) > 1 else named[0]
        step = first_step(current, action)
        then = f": {step} it first" if step else ""
        raise TriageError(f"{ref} is {current}; only {starts} incidents can be {_past(action)}{then}")
    return to


def first_step(current: str, action: str) -> str | None:
    """The action that lets `action` follow on an incident in status `current` refused it, for the refusal to name
    as what to do next ("resolve it first"); None where none does: it is there already, or still being worked."""
    if action == "close" and current in {"open", "acknowledged", "waiting"}:
        return "resolve"
    if action == "acknowledge" and current == "waiting":
        return "resume"
    if (action, current) in {("acknowledge", "resolved"), ("acknowledge", "closed"), ("wait", "resolved"),
                             ("wait", "closed"), ("resolve", "closed")}:  # fmt: skip
        return "reopen"
    return None


def action_for(current: str, wanted: str, ref: str = "the incident") -> str:
    """The action that moves an incident from status `current` to status `wanted` (API clients name statuses)."""
    targets = sorted({to for _, to in TRANSITIONS.values()})
    if wanted not in targets:
        raise TriageError(f"'status' must be one of {', '.join(targets)}, not {wanted!r}")
    for action, (starts, to) in TRANSITIONS.items():
        if to == wanted and current in starts:
            return action
    raise TriageError(f"{ref} is {current}; it cannot become {wanted} from there")


def status_of(db: Database, incident_id: int) -> str:
    with db.read() as session:
        status = session.scalar(select(Incident.status).where(Incident.id == incident_id))
    if status is None:
        raise NoSuchIncident(no_incident(format_ref(incident_id)))
    return status


def _past(action: str) -> str:
    return {"acknowledge": "acknowledged", "resolve": "resolved", "close": "closed", "reopen": "reopened",
            "wait": "set waiting", "resume": "resumed"}[action]  # fmt: skip


def change_status(
    db: Database, incident_id: int, action: str, actor: Actor, mail: Mail, *, resolution: str | None = None
) -> str:
    """Apply a status action; returns the new status. The assignee and watchers hear about a resolution or
    reopening by someone else (the requester of an email incident and the rules' channels too, hub/recipients.py;
    of a resolution, the requesters of requests merged into it too, hub/merged_requesters.py), and the incident's
    SLA clocks follow (waiting pauses them, a resolution stops them).

    `resolution` (resolve only) says how it was resolved: kept on the incident and told in the resolution mails.
    A reopening clears it, since it did not hold."""
    with db.transaction() as session:
        return status_change(session, incident_id, action, actor, mail, resolution=resolution)


def status_change(
    session: Session,
    incident_id: int,
    action: str,
    actor: Actor,
    mail: Mail,
    *,
    resolution: str | None = None,
    held: list[notices.Notice] | None = None,
    emailed: int | None = None,
) -> str:
    """`change_status` in the caller's transaction, for what resolves incidents along with its own change (a
    problem resolved with the incidents it explains, hub/problem_resolution.py; an agent's `#resolve` by email,
    hub/agent_mail.py): the same checks, notices and clocks, so such a resolve is an agent's, not a copy of one.
    `held`: the requesters' resolution mails (its own requester's and those of requests merged into it) go there,
    not to the outbox, for the caller to owe (hub/problem_mail.py: one mail to a requester of several). `emailed`:
    the stored event of the agent's mail it came as, linked from the entry, which says "by email"."""
    if resolution is not None and resolution.strip():
        if action != "resolve":
            raise TriageError("a resolution goes with resolving; say how it was resolved when you resolve it")
        resolution = checked_text(resolution, "resolution")
    else:
        resolution = None
    incident = locked(session, incident_id)
    if (elsewhere := worked_elsewhere(incident, "reopen" if action == "reopen" else "work on")) is not None:
        raise TriageError(elsewhere)  # a merged duplicate stays closed: rather than "reopen it first"
    status = next_status(incident.status, action, incident.ref)
    conn = session.connection()
    if action == "wait":
        sla_pauses.wait_on_requester(conn, incident.id, actor.name)
        return status
    if action == "resume":
        sla_pauses.stop_waiting(conn, SlaBookCache().current(conn), incident.id, f"resumed by {actor.name}")
        return "acknowledged" if incident.acknowledged_at is not None else "open"
    if action == "reopen":
        _refuse_second_open(session, incident)
    now = utcnow()
    incident.status = status
    if status == "acknowledged" and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    if status == "resolved":
        incident.resolved_at, incident.resolution = now, resolution
    elif status == "open":  # what it was resolved as no longer holds (hub/approval_outcome.py: not approved)
        incident.resolved_at, incident.resolution, incident.not_approved = None, None, False
    summary = f"{_past(action).capitalize()} by {actor.name}{BY_EMAIL if emailed else ''}"
    owed: list[notices.Notice] = []
    notes: list[dict[str, Any]] = []
    if action in ("resolve", "reopen"):
        session.flush()  # the recipients are read with the row as it is now
        kind = "resolved" if action == "resolve" else "reopened"
        owed, notes = recipients.state_change_notices(
            conn, incident.id, kind, source=actor.name, sender=mail.sender, skip=[actor.name]
        )
    data = {"by": actor.name, **({"resolution": resolution} if resolution else {})}
    also = [entry(incident.id, status, summary, event_id=emailed, data=by_email(data, emailed)), *notes]
    told = owed
    if held is not None:
        held += [notice for notice in owed if notice.template == notices.REQUESTER_RESOLVED]
        owed = [notice for notice in owed if notice.template != notices.REQUESTER_RESOLVED]
    owe(conn, incident.id, owed, also=also)
    if action == "resolve":  # those told to wait on it hear too (a reopening they learn of on their page)
        merged_requesters.owe_resolution(conn, incident.id, source=actor.name, sender=mail.sender, told=told,
                                         skip=[actor.name], held=held)  # fmt: skip
    session.flush()  # the clocks read the row as it is now
    _clocks_follow(conn, incident.id, status, reopened=action == "reopen")
    return status


def _clocks_follow(conn: Connection, incident_id: int, status: str, *, reopened: bool = False) -> None:
    """The incident's SLA clocks and escalations follow its new `status` (stored and flushed): a resolution or a
    close stops the clocks, ending a pause nothing holds any more (a wait, an approval) as a completed wait, and
    the escalations it ends; someone acknowledging it ends those waiting for that."""
    sla_pauses.refresh(conn, incident_id, reopened=reopened)
    escalation.stop_for(conn, incident_id, status)


def assign(db: Database, incident_id: int, assignee: str, actor: Actor, mail: Mail) -> bool:
    """Give the incident to a person (an active user's email) or a group (any other name); the person is told.
    Returns whether it changed hands, so a page does not say "assigned" of an incident that already was."""
    with db.transaction() as session:
        return assign_in(session, incident_id, assignee, actor, mail)


def assign_in(session: Session, incident_id: int, assignee: str, actor: Actor, mail: Mail) -> bool:
    """`assign` in the caller's transaction (several fields changed as one, hub/incident_fields.py)."""
    assignee = _assignee(assignee)
    incident = locked(session, incident_id)
    conn = session.connection()
    _refuse_inactive(conn, assignee)
    if incident.assignee == assignee:
        return False
    incident.assignee = assignee
    owed, declined = recipients.assignment_notices(
        conn,
        incident_id=incident.id,
        title=incident.title,
        priority=incident.priority,
        assignee=assignee,
        sender=mail.sender,
        skip=[actor.name],
    )
    summary = f"Assigned to {assignee} by {actor.name}"
    owe(conn, incident.id, owed, also=[entry(incident.id, "assigned", summary, data={"by": actor.name}), *declined])
    return True


def _assignee(assignee: str) -> str:
    """Whom `assignee` names as stored: a group's name as typed, a person's address in lower case."""
    assignee = assignee.strip()
    if not assignee or len(assignee) > 320:
        raise TriageError("name a person's email or a group to assign to")
    return assignee.lower() if "@" in assignee else assignee


def _refuse_inactive(conn: Connection, assignee: str) -> None:
    if "@" in assignee and not is_active_user(conn, assignee):
        raise TriageError(f"{assignee} is not an active user; create one with `switchboard user create`")


def set_priority(db: Database, incident_id: int, priority: int, actor: Actor) -> None:
    with db.transaction() as session:
        set_priority_in(session, incident_id, priority, actor)


def set_priority_in(session: Session, incident_id: int, priority: int, actor: Actor) -> None:
    """`set_priority` in the caller's transaction."""
    if priority not in PRIORITIES:
        raise TriageError(f"priority must be 1 (highest) to 5, not {priority}")
    incident = locked(session, incident_id)
    if incident.priority == priority:
        return
    summary = f"Priority P{incident.priority} → P{priority} by {actor.name}"
    incident.priority = priority
    conn = session.connection()
    INSERT_TIMELINE.execute(conn, entry(incident.id, "priority", summary, data={"by": actor.name}))
    session.flush()
    sla.replan(conn, SlaBookCache().current(conn), incident.id)  # another priority may have another policy


def categorise(
    db: Database,
    incident_id: int,
    actor: Actor,
    *,
    category: str | None = KEEP,
    service: str | None = KEEP,
    kind: str = KEEP,
) -> bool:
    """Correct what the rules guessed from what came in: the category, the service (blank clears one) and/or the
    kind, an incident or a service request (an argument left out keeps it). The SLA follows, since a policy may be
    scoped to any of them. Returns whether anything changed."""
    with db.transaction() as session:
        return categorise_in(session, incident_id, actor, category=category, service=service, kind=kind)


def categorise_in(
    session: Session,
    incident_id: int,
    actor: Actor,
    *,
    category: str | None = KEEP,
    service: str | None = KEEP,
    kind: str = KEEP,
) -> bool:
    """`categorise` in the caller's transaction."""
    wanted: dict[str, str | None] = {name: _name(value, name) for name, value in
                                     (("category", category), ("service", service)) if value is not KEEP}  # fmt: skip
    if kind is not KEEP:
        wanted["kind"] = checked_kind(kind)
    incident = locked(session, incident_id)
    changes = [f"{name} {getattr(incident, name) or '—'} → {value or '—'}" for name, value in wanted.items()
               if getattr(incident, name) != value]  # fmt: skip
    if not changes:
        return False
    for name, value in wanted.items():
        setattr(incident, name, value)
    conn = session.connection()
    said = "; ".join(changes)
    summary = f"{said[0].upper()}{said[1:]} by {actor.name}"  # (str.capitalize would lower the names)
    INSERT_TIMELINE.execute(conn, entry(incident.id, "categorised", summary, data={"by": actor.name, **wanted}))
    lookback_cache.regrouped(session, incident.dedup_key)
    session.flush()
    sla.replan(conn, SlaBookCache().current(conn), incident.id)
    return True


def set_ci(db: Database, incident_id: int, name: str, actor: Actor) -> str | None:
    """Say which configuration item broke (blank: none). An incident with no service takes the CI's, and its SLA
    follows; one whose service a rule or a person chose keeps it. Returns what changed in words, None if nothing."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        ci = cis.find(session, name) if name.strip() else None
        if name.strip() and (ci is None or ci.status != "active"):
            raise TriageError(ci_links.why_not_linked(session.connection(), name))
        if incident.ci_id == (ci.id if ci is not None else None):
            return None
        before = incident.ci.name if incident.ci is not None else "—"
        said = f"CI {before} → {ci.name if ci is not None else '—'}"
        incident.ci_id = ci.id if ci is not None else None
        data: dict[str, Any] = {"by": actor.name, "ci": ci.name if ci is not None else None}
        if ci is not None and ci.service and not incident.service:
            incident.service = data["service"] = ci.service
            said += f", service {ci.service} from it"
        conn = session.connection()
        INSERT_TIMELINE.execute(conn, entry(incident.id, "ci", f"{said} by {actor.name}", data=data))
        if "service" in data:
            lookback_cache.regrouped(session, incident.dedup_key)
            session.flush()
            sla.replan(conn, SlaBookCache().current(conn), incident.id)
        return said


def retitle(db: Database, incident_id: int, title: str, actor: Actor) -> bool:
    """Give the incident a title that says what is wrong ("Help!!!" becomes "Outlook crashes at start"); the old
    one stays on the timeline. Returns whether it changed."""
    with db.transaction() as session:
        return retitle_in(session, incident_id, title, actor)


def retitle_in(session: Session, incident_id: int, title: str, actor: Actor) -> bool:
    """`retitle` in the caller's transaction."""
    title = checked_title(title)
    incident = locked(session, incident_id)
    if incident.title == title:
        return False
    summary = f"Title changed by {actor.name}"
    data = {"by": actor.name, "from": incident.title, "to": title}
    incident.title = title
    INSERT_TIMELINE.execute(session.connection(), entry(incident.id, "retitled", summary, data=data))
    return True


def set_public_note(db: Database, incident_id: int, text: str, actor: Actor) -> bool:
    """Say on the public status page what is happening, in words for the public (its title stays inside); an empty
    text takes the note down. On the timeline either way. Returns whether it changed."""
    with db.transaction() as session:
        return set_public_note_in(session, incident_id, text, actor)


def set_public_note_in(session: Session, incident_id: int, text: str, actor: Actor) -> bool:
    """`set_public_note` in the caller's transaction."""
    text = checked_public_note(text)
    incident = locked(session, incident_id)
    if (incident.public_note or "") == text:
        return False
    incident.public_note, incident.public_note_at = text or None, utcnow()
    summary = f"Public status note {'set' if text else 'taken down'} by {actor.name}"
    INSERT_TIMELINE.execute(
        session.connection(),
        entry(incident.id, "public_note", summary, data={"by": actor.name, "text": text or None}),
    )
    return True


def watch(db: Database, incident_id: int, actor: Actor, *, on: bool = True, email: str | None = None) -> bool:
    """Start (or stop, `on=False`) telling `email` (default: the actor) about the incident's state changes;
    False if nothing changed. Only an active user can start watching: mail goes to people Switchboard knows."""
    who = (email or actor.name).strip().lower()
    with db.transaction() as session:
        incident = locked(session, incident_id)
        conn = session.connection()
        if on and not recipients.active_people(conn, [who]):
            raise TriageError(f"{who} is not an active user; only users can watch an incident")
        changed = recipients.watch(conn, incident.id, who) if on else recipients.unwatch(conn, incident.id, who)
        if changed:
            summary = f"{'Watched' if on else 'No longer watched'} by {who}"
            if who != actor.name.lower():
                summary += f" (set by {actor.name})"
            data = {"by": actor.name, "who": who, "watching": on}
            INSERT_TIMELINE.execute(conn, entry(incident.id, "watch", summary, data=data))
        return changed


def merge(db: Database, duplicate_id: int, into_id: int, actor: Actor, mail: Mail) -> None:
    """Close `duplicate_id` as a duplicate of `into_id`: its occurrences count on the survivor, and replies or
    alerts that still refer to it are easy to trace from both timelines. The duplicate's requester is mailed where
    their request is followed now (replies to its mail thread into the survivor: hub/mail_threads.py). Its SLA
    clocks and escalations stop as a close stops them (a pause it was in ends as a completed wait)."""
    if duplicate_id == into_id:
        raise TriageError("an incident cannot be merged into itself")
    with db.transaction() as session:
        first, second = sorted((duplicate_id, into_id))  # lock in id order, so two opposite merges cannot deadlock
        pair = {i.id: i for i in (locked(session, first), locked(session, second))}
        duplicate, survivor = pair[duplicate_id], pair[into_id]
        if duplicate.merged_into_id is not None:
            raise TriageError(f"{duplicate.ref} is already merged into {format_ref(duplicate.merged_into_id)}")
        if survivor.merged_into_id is not None:
            target = format_ref(survivor.merged_into_id)
            raise TriageError(f"{survivor.ref} was itself merged into {target}; merge into {target} instead")
        now = utcnow()
        duplicate.status = "closed"
        duplicate.merged_into_id = survivor.id
        duplicate.resolved_at = duplicate.resolved_at or now
        survivor.occurrences += duplicate.occurrences
        survivor.last_seen = max(survivor.last_seen, duplicate.last_seen)
        conn = session.connection()
        data = {"by": actor.name}
        merged_away = entry(duplicate.id, "merged", f"Merged into {survivor.ref} by {actor.name}", data=data)
        INSERT_TIMELINE.execute(conn, merged_away)
        merged_here = entry(survivor.id, "merged", f"{duplicate.ref} merged into this by {actor.name}", data=data)
        INSERT_TIMELINE.execute(conn, merged_here)
        owed, notes = recipients.merged_notices(conn, duplicate.id, survivor.id, sender=mail.sender, skip=[actor.name])
        owe(conn, duplicate.id, owed, also=notes)
        session.flush()  # closed as any close: its clocks stop (a pause ends as a wait), its escalations end
        _clocks_follow(conn, duplicate.id, "closed")


# -- helpers ---------------------------------------------------------------------------------------------


def moves(status: str, merged: bool) -> list[str]:
    """The status actions an incident in `status` allows, for its page to offer: never reopening a merged duplicate,
    which `status_change` refuses."""
    allowed = [action for action, (starts, _) in TRANSITIONS.items() if status in starts]
    return [action for action in allowed if not (merged and action == "reopen")]


def _refuse_second_open(session: Session, incident: Incident) -> None:
    """The database allows one open incident per dedup key; say which one holds it rather than fail obscurely."""
    if incident.dedup_key is None:
        return
    other = session.scalar(
        select(Incident.id).where(
            Incident.dedup_key == incident.dedup_key,
            Incident.integration_id.is_(None)
            if incident.integration_id is None
            else Incident.integration_id == incident.integration_id,
            Incident.status.in_(OPEN_STATUSES),
            Incident.id != incident.id,
        )
    )
    if other is not None:
        raise TriageError(
            f"{format_ref(other)} is open with the same dedup key; merge {incident.ref} into it instead of reopening"
        )


def checked_title(title: str) -> str:
    """The title as kept (stripped), or TriageError saying what to write instead."""
    title = title.strip()
    if not title:
        raise TriageError("the title is empty; write what is wrong in a few words")
    if len(title) > TITLE_WIDTH:
        raise TriageError(f"the title is {len(title)} characters long; at most {TITLE_WIDTH} fit")
    if not is_one_line(title):
        raise TriageError("the title must be one line of text, without control characters")
    return title


def checked_public_note(text: str) -> str:
    """The public note as kept (stripped, one kind of line break; empty takes it down), or TriageError."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > status_page.MAX_NOTE:
        raise TriageError(f"the public note is {len(text):,} characters; keep it under {status_page.MAX_NOTE:,}")
    if not is_one_line(text.replace("\n", " ")):
        raise TriageError("the public note must be plain text, without control characters")
    return text


def checked_kind(kind: object) -> str:
    """One of `INCIDENT_KINDS`, or TriageError naming them."""
    if kind not in INCIDENT_KINDS:
        raise TriageError(f"the kind must be {' or '.join(INCIDENT_KINDS)}, not {kind!r}")
    return str(kind)


def _name(value: str | None, what: str) -> str | None:
    """A category or service name: blank is none; longer than its column is refused rather than cut."""
    value = (value or "").strip()
    if len(value) > NAME_WIDTH:
        raise TriageError(f"the {what} is {len(value)} characters long; at most {NAME_WIDTH} fit")
    if not is_one_line(value):
        raise TriageError(f"the {what} must be one line of text, without control characters")
    return value or None
