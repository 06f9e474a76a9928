"""Major incidents (ITIL): an incident declared major has one person coordinating it, pages everyone who must know
at once, stays in the banners until it is resolved or stood down, and once resolved owes a post-incident review
(hub/reviews.py).

Declaring, handing over and standing down are agents' actions like hub/triage.py's: one transaction that locks the
incident, writes the declaration row, the timeline entry and the audit record, and owes the mail through the
outbox. Who is paged: the coordinator, the assignee (a group's active members) and the active members of the
major-incident group: the incident's service's, else the installation's (SWITCHBOARD_MAJOR_INCIDENT_GROUP), never
both (hub/major_groups.py says why); each once, and never whoever acted. It is a page, so no mail choice turns it
off (hub/mail_choices.py), and the outbox's caps do not hold it back: a group of more than ten would lose pages to
the per-incident cap, and a person's deliberate act, refused when repeated, cannot loop.

A declaration stands until it is stood down, which only an unresolved incident can be: a resolved major incident
stays one, since its review is what remains. Its time as major runs until it was stood down or resolved, and again
from a reopening (time_as_major reads the timeline).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.orm import Session

from hub import audit, mail_choices, major_groups, notices, people, recipients
from hub.agent_action import Actor, Mail, TriageError, checked_line, locked, refuse_when
from hub.db import Database
from hub.models import UNRESOLVED_STATUSES, Incident, MajorIncident, User, utcnow
from hub.outbox import entry, owe, turned_down

#: The statuses an incident can be declared major or stood down in.
UNRESOLVED = UNRESOLVED_STATUSES
#: The statuses of one whose review is owed.
RESOLVED = ("resolved", "closed")
REASON_WIDTH = 500  # major_incidents.reason and .end_note
#: Who may coordinate: someone who can work the incident.
COORDINATOR_ROLES = ("admin", "agent")


def standing_condition() -> ColumnElement[bool]:
    """SQL: the incident has a standing declaration (the list's `major=1`); served by the partial unique index."""
    return Incident.id.in_(select(MajorIncident.incident_id).where(MajorIncident.ended_at.is_(None)))


def declare(
    db: Database,
    incident_id: int,
    reason: str,
    actor: Actor,
    mail: Mail,
    *,
    coordinator: str | None = None,
    group: str | None = None,
) -> str:
    """Declare the incident a major incident because of `reason`, coordinated by `coordinator` (default: whoever
    declares), paging the coordinator, the assignee and the major-incident group: the service's, else `group` (the
    installation's). Returns the coordinator's address."""
    reason = checked_line(reason, "reason", REASON_WIDTH, "say in a few words why it is major: Nobody can run payroll")
    coordinator = (coordinator or actor.name).strip().lower()
    with db.transaction() as session:
        incident = locked(session, incident_id)
        if (found := standing(session, incident.id)) is not None:
            raise TriageError(
                f"{incident.ref} is already a major incident, declared by {found.declared_by} and coordinated by "
                f"{found.coordinator}; hand it over to change its coordinator"
            )
        refuse_when(incident, RESOLVED, "reopen it first to declare it a major incident")
        conn = session.connection()
        _check_coordinator(conn, coordinator)
        declared = MajorIncident(incident_id=incident.id, reason=reason, coordinator=coordinator,
                                 declared_by=actor.name, declared_at=utcnow())  # fmt: skip
        session.add(declared)
        summary = f"Declared a major incident by {actor.name}: {reason}. Coordinator: {coordinator}"
        _page_coordinator(conn, incident, declared, actor, mail, group=group, summary=summary,
                          data={"by": actor.name, "reason": reason, "coordinator": coordinator})  # fmt: skip
        audit.record(session, actor.name, "incident.major", incident.ref, reason=reason, coordinator=coordinator)
        return coordinator


def hand_over(db: Database, incident_id: int, coordinator: str, actor: Actor, mail: Mail) -> bool:
    """Make someone else the coordinator of a standing major incident (a shift ends); they are paged as if it had
    just been declared. Returns whether anything changed."""
    coordinator = coordinator.strip().lower()
    if not coordinator:
        raise TriageError("name the new coordinator: an active agent's or admin's email")
    with db.transaction() as session:
        incident = locked(session, incident_id)
        found = _standing_or_refuse(session, incident)
        if found.coordinator == coordinator:
            return False
        conn = session.connection()
        _check_coordinator(conn, coordinator)
        before, found.coordinator = found.coordinator, coordinator
        summary = f"Coordination handed over from {before} to {coordinator} by {actor.name}"
        _page_coordinator(conn, incident, found, actor, mail, group=None, everyone=False, summary=summary,
                          data={"by": actor.name, "from": before, "to": coordinator})  # fmt: skip
        audit.record(session, actor.name, "incident.coordinator", incident.ref, before=before, after=coordinator)
        return True


def stand_down(
    db: Database, incident_id: int, actor: Actor, mail: Mail, *, note: str = "", group: str | None = None
) -> None:
    """End the incident's major-incident status (it was not one after all, or no longer is): the banners drop it,
    no review is owed, and those paged for it are told, with the `note` if one is given (`group`: the
    installation's major-incident group, as for `declare`)."""
    note = checked_line(note, "note", REASON_WIDTH) if note.strip() else ""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        found = _standing_or_refuse(session, incident)
        if incident.status not in UNRESOLVED:
            raise TriageError(
                f"{incident.ref} is {incident.status}, so its major incident is over and its review is owed; to take "
                "back a declaration made in error, reopen it, stand it down and resolve it again"
            )
        found.ended_at, found.ended_by, found.end_note = utcnow(), actor.name, note or None
        conn = session.connection()
        told, notes = paged(conn, incident, "major_stood_down", found.coordinator, group, skip=[actor.name])
        [by_label] = people.labels(conn, [actor.name])
        owed = [notices.major_stood_down(incident_id=incident.id, title=incident.title, recipient=person,
                                         by=actor.name, by_label=by_label, note=note or None,
                                         desk_address=mail.desk_address, base_url=mail.base_url,
                                         templates=mail.templates)
                for person in told]  # fmt: skip
        summary = f"Stood down as a major incident by {actor.name}" + (f": {note}" if note else "")
        data = {"by": actor.name, "note": note or None}
        owe(conn, incident.id, owed, also=[entry(incident.id, "stood_down", summary, data=data), *notes],
            automatic=False)  # fmt: skip
        audit.record(session, actor.name, "incident.stand_down", incident.ref, note=note or None)


def paged(
    conn: Connection,
    incident: Incident,
    kind: str,
    coordinator: str,
    group: str | None,
    *,
    skip: Iterable[str] = (),
    assignee: bool = True,
    major_group: bool = True,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Who is told of a major incident's `kind` of news: the coordinator, the assignee (a person, or a group's
    active members) unless `assignee` is false, and unless `major_group` is false the active members of the
    major-incident group: the incident's service's, else `group`, the installation's (hub/major_groups.py); each
    once, active, not in `skip`, and as their mail choices allow (none turns a page off). Also returns the timeline
    lines saying who was not told and why."""
    people = mail_choices.of_active(conn, [coordinator])
    if assignee and incident.assignee:
        assigned, _ = recipients.people_of(conn, incident.assignee)
        people = {**people, **assigned}
    notes: list[dict[str, Any]] = []
    if major_group:
        members, notes = major_groups.members(conn, incident, group)
        people = {**people, **members}
    skipped = {name.lower() for name in skip}
    told, declined = mail_choices.sift({p: c for p, c in people.items() if p not in skipped}, kind, incident.priority)
    return told, [*notes, *turned_down(incident.id, kind, declined)]


def standing(session: Session, incident_id: int) -> MajorIncident | None:
    """The incident's declaration that stands now, if any."""
    query = select(MajorIncident).where(MajorIncident.incident_id == incident_id, MajorIncident.ended_at.is_(None))
    return session.scalar(query)


def declarations(session: Session, incident_id: int) -> list[MajorIncident]:
    """Every declaration of the incident, oldest first: what its time as major adds up."""
    query = select(MajorIncident).where(MajorIncident.incident_id == incident_id).order_by(MajorIncident.id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class InProgress:
    """An unresolved major incident, as the banners show it."""

    ref: str
    title: str
    priority: int
    status: str
    coordinator: str
    declared_at: datetime


def standing_rows(session: Session, *columns: Any) -> list[Any]:
    """`columns` of every standing declaration joined to its incident (and the incident's status), the oldest
    declared first. Read from the declarations' side and filtered by status afterwards, by the caller: given a
    condition on `incidents.status`, the planners start from its index and read every resolved incident, of which
    a desk has hundreds of thousands; standing declarations are one per major incident (measured on SQLite with
    100,000 incidents and 800 standing declarations: 6 to 8 ms, where starting from the status index took 11 to 40
    ms, growing with every incident resolved)."""
    query = (
        select(Incident.status, *columns)
        .select_from(MajorIncident)
        .join(Incident, Incident.id == MajorIncident.incident_id)
        .where(MajorIncident.ended_at.is_(None))
        .order_by(MajorIncident.declared_at, MajorIncident.id)
    )
    return list(session.execute(query))


def in_progress(session: Session) -> list[InProgress]:
    """The major incidents not yet resolved, the longest-running first."""
    rows = standing_rows(session, Incident.id, Incident.title, Incident.priority, MajorIncident.coordinator,
                         MajorIncident.declared_at)  # fmt: skip
    return [InProgress(f"INC-{row.id}", row.title, row.priority, row.status, row.coordinator, row.declared_at)
            for row in rows if row.status in UNRESOLVED]  # fmt: skip


#: Timeline kinds after which an incident is resolved, and those after which it is not (again): what triage, intake
#: (a requester's reply, a recurring alert), auto-resolve and auto-close write. Others (notes, acknowledgements, a
#: stand-down...) leave it as it was.
RESOLVING = frozenset({"resolved", "closed"})
REOPENING = frozenset({"reopened", "open"})


def time_as_major(
    spans: Sequence[tuple[datetime, datetime | None]],
    timeline: Sequence[tuple[datetime, str]],
    resolved_at: datetime | None,
    now: datetime,
) -> timedelta:
    """How long the incident was a major incident: within its declarations' (declared, stood down) spans, the time
    it was unresolved, read from its `timeline`'s (at, kind) entries, oldest first. A major incident reopened counts
    again from its reopening, not across the gap while it was resolved; a stretch still open runs until the
    incident's `resolved_at` when it is resolved now without an entry saying so (a merged duplicate), else `now`."""
    stretches: list[tuple[datetime, datetime]] = []
    since: datetime | None = min((start for start, _ in spans), default=now)  # unresolved when first declared
    for at, kind in timeline:
        if kind in RESOLVING and since is not None:
            stretches.append((since, at))
            since = None
        elif kind in REOPENING and since is None:
            since = at
    if since is not None:
        stretches.append((since, max(resolved_at, since) if resolved_at is not None else now))
    total = timedelta()
    for start, end in spans:
        stop = end or now
        for begun, ended in stretches:
            total += max(min(stop, ended) - max(start, begun), timedelta())
    return total


def _page_coordinator(
    conn: Connection, incident: Incident, declared: MajorIncident, actor: Actor, mail: Mail, *, group: str | None,
    summary: str, data: dict[str, Any], everyone: bool = True,
) -> None:  # fmt: skip
    """Page the declaration's coordinator and, when `everyone`, those `paged` adds (never the actor) as if it had
    just been declared, which is what a new coordinator needs to hear too (a hand-over pages only them: the others
    know it already); `summary` and `data` make its timeline line."""
    told, notes = paged(conn, incident, "major_declared", declared.coordinator, group, skip=[actor.name],
                        assignee=everyone, major_group=everyone)  # fmt: skip
    coordinator, declared_by = people.labels(conn, [declared.coordinator, declared.declared_by])
    owed = [notices.major_declared(incident_id=incident.id, title=incident.title, priority=incident.priority,
                                   recipient=person, reason=declared.reason, coordinator=declared.coordinator,
                                   coordinator_label=coordinator, declared_by=declared.declared_by,
                                   declared_by_label=declared_by,
                                   desk_address=mail.desk_address, base_url=mail.base_url, templates=mail.templates)
            for person in told]  # fmt: skip
    owe(conn, incident.id, owed, also=[entry(incident.id, "major", summary, data=data), *notes], automatic=False)


def _standing_or_refuse(session: Session, incident: Incident) -> MajorIncident:
    found = standing(session, incident.id)
    if found is None:
        raise TriageError(f"{incident.ref} is not a major incident")
    return found


def _check_coordinator(conn: Connection, coordinator: str) -> None:
    role = conn.scalar(select(User.role).where(User.email == coordinator, User.active.is_(True)))
    if role not in COORDINATOR_ROLES:
        raise TriageError(f"{coordinator} is not an active agent or admin; the coordinator must be someone who can "
                          "work the incident")  # fmt: skip
