"""What agents do to an incident: acknowledge, assign, prioritise, categorise, name its CI, retitle, note, reply,
resolve, close, reopen, merge.

Each action is one transaction that changes the incident, writes its timeline entry and owes the notices it
causes, so the web UI, the API and the CLI share one implementation. Which status may follow which is a pure table
(`next_status`), tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub import cis, escalation, mentions, notices, recipients, sla, status_page, time_spent
from hub.addresses import is_pseudonym
from hub.db import Database
from hub.domain import format_ref
from hub.errors import BadInput
from hub.mail_templates import DEFAULTS, MailTemplates
from hub.mentions import Mentions
from hub.models import OPEN_STATUSES, Incident, User, utcnow
from hub.names import NAME_WIDTH, is_one_line
from hub.outbox import entry, is_active_user, owe
from hub.recipients import Sender
from hub.sla import SlaBookCache
from hub.statements import INSERT_TIMELINE
from hub.time_spent import Spent

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
MAX_TEXT = 20_000
KEEP: Any = object()  # an argument left out: keep what the incident has
TITLE_WIDTH = 500  # incidents.title


class TriageError(BadInput):
    """The action does not fit the incident as it is now; the message says why and what would."""


class NoSuchIncident(TriageError):
    """The incident named does not exist."""


@dataclass(frozen=True)
class Actor:
    """Who acted: a person's email (UI) or an API token's name, for the timeline."""

    name: str


@dataclass(frozen=True)
class Mail:
    """Where agent mail comes from and links to (the desk's first address, the UI's public URL)."""

    desk_address: str
    base_url: str
    templates: MailTemplates = DEFAULTS  # the installation's: MailTemplates.at(settings.home)
    secret_key: str | None = field(default=None, repr=False)  # signs the satisfaction links (hub/satisfaction.py)

    @property
    def sender(self) -> Sender:
        return Sender(self.desk_address, self.base_url, self.templates, self.secret_key)


def next_status(current: str, action: str, ref: str = "the incident") -> str:
    """The status `action` leads to from `current`, or TriageError saying which statuses allow it."""
    if action not in TRANSITIONS:
        raise TriageError(f"unknown action {action!r}; use one of {', '.join(STATUS_ACTIONS)}")
    allowed_from, to = TRANSITIONS[action]
    if current not in allowed_from:
        starts = " or ".join(sorted(allowed_from))
        raise TriageError(f"{ref} is {current}; only {starts} incidents can be {_past(action)}")
    return to


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
        raise NoSuchIncident(f"there is no incident {format_ref(incident_id)}")
    return status


def _past(action: str) -> str:
    return {"acknowledge": "acknowledged", "resolve": "resolved", "close": "closed", "reopen": "reopened",
            "wait": "set waiting", "resume": "resumed"}[action]  # fmt: skip


def change_status(
    db: Database, incident_id: int, action: str, actor: Actor, mail: Mail, *, resolution: str | None = None
) -> str:
    """Apply a status action; returns the new status. The assignee and watchers hear about a resolution or
    reopening by someone else (the requester of an email incident and the rules' channels too, hub/recipients.py),
    and the incident's SLA clocks follow (waiting pauses them, a resolution stops them).

    `resolution` (resolve only) says how it was resolved: kept on the incident and told in the resolution mails.
    A reopening clears it, since it did not hold."""
    if resolution is not None and resolution.strip():
        if action != "resolve":
            raise TriageError("a resolution goes with resolving; say how it was resolved when you resolve it")
        resolution = _text(resolution, "resolution")
    else:
        resolution = None
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        status = next_status(incident.status, action, incident.ref)
        conn = session.connection()
        if action == "wait":
            sla.wait_on_requester(conn, incident.id, actor.name)
            return status
        if action == "resume":
            sla.stop_waiting(conn, SlaBookCache().current(conn), incident.id, f"resumed by {actor.name}")
            return "acknowledged" if incident.acknowledged_at is not None else "open"
        if action == "reopen":
            _refuse_second_open(session, incident)
        now = utcnow()
        incident.status = status
        if status == "acknowledged" and incident.acknowledged_at is None:
            incident.acknowledged_at = now
        if status == "resolved":
            incident.resolved_at, incident.resolution = now, resolution
        elif status == "open":
            incident.resolved_at, incident.resolution = None, None
        summary = f"{_past(action).capitalize()} by {actor.name}"
        owed: list[notices.Notice] = []
        notes: list[dict[str, Any]] = []
        if action in ("resolve", "reopen"):
            session.flush()  # the recipients are read with the row as it is now
            kind = "resolved" if action == "resolve" else "reopened"
            owed, notes = recipients.state_change_notices(
                conn, incident.id, kind, source=actor.name, sender=mail.sender, skip=[actor.name]
            )
        data = {"by": actor.name, **({"resolution": resolution} if resolution else {})}
        also = [entry(incident.id, status, summary, data=data), *notes]
        owe(conn, incident.id, owed, also=also)
        session.flush()  # the clocks read the row as it is now
        sla.refresh(conn, incident.id, reopened=action == "reopen")
        escalation.stop_for(conn, incident.id, status)  # someone has it, or it is dealt with
        return status


def assign(db: Database, incident_id: int, assignee: str, actor: Actor, mail: Mail) -> None:
    """Give the incident to a person (an active user's email) or a group (any other name); the person is told."""
    assignee = assignee.strip()
    if not assignee or len(assignee) > 320:
        raise TriageError("name a person's email or a group to assign to")
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        conn = session.connection()
        if "@" in assignee:
            assignee = assignee.lower()
            if not is_active_user(conn, assignee):
                raise TriageError(f"{assignee} is not an active user; create one with `switchboard user create`")
        if incident.assignee == assignee:
            return
        incident.assignee = assignee
        owed = recipients.assignment_notices(
            conn,
            incident_id=incident.id,
            title=incident.title,
            priority=incident.priority,
            assignee=assignee,
            sender=mail.sender,
            skip=[actor.name],
        )
        summary = f"Assigned to {assignee} by {actor.name}"
        owe(conn, incident.id, owed, also=[entry(incident.id, "assigned", summary, data={"by": actor.name})])


def set_priority(db: Database, incident_id: int, priority: int, actor: Actor) -> None:
    if priority not in PRIORITIES:
        raise TriageError(f"priority must be 1 (highest) to 5, not {priority}")
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        if incident.priority == priority:
            return
        summary = f"Priority P{incident.priority} → P{priority} by {actor.name}"
        incident.priority = priority
        conn = session.connection()
        _timeline(conn, entry(incident.id, "priority", summary, data={"by": actor.name}))
        session.flush()
        sla.replan(conn, SlaBookCache().current(conn), incident.id)  # another priority may have another policy


def categorise(
    db: Database, incident_id: int, actor: Actor, *, category: str | None = KEEP, service: str | None = KEEP
) -> bool:
    """Correct what the rules guessed from what came in: the category and/or the service (blank clears one; an
    argument left out keeps it). The SLA follows, since a policy may be scoped to either. Returns whether anything
    changed."""
    wanted = {name: _name(value, name) for name, value in (("category", category), ("service", service))
              if value is not KEEP}  # fmt: skip
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        changes = [f"{name} {getattr(incident, name) or '—'} → {value or '—'}" for name, value in wanted.items()
                   if getattr(incident, name) != value]  # fmt: skip
        if not changes:
            return False
        for name, value in wanted.items():
            setattr(incident, name, value)
        conn = session.connection()
        said = "; ".join(changes)
        summary = f"{said[0].upper()}{said[1:]} by {actor.name}"  # (str.capitalize would lower the names)
        _timeline(conn, entry(incident.id, "categorised", summary, data={"by": actor.name, **wanted}))
        session.flush()
        sla.replan(conn, SlaBookCache().current(conn), incident.id)
        return True


def set_ci(db: Database, incident_id: int, name: str, actor: Actor) -> str | None:
    """Say which configuration item broke (blank: none). An incident with no service takes the CI's, and its SLA
    follows; one whose service a rule or a person chose keeps it. Returns what changed in words, None if nothing."""
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        ci = cis.find(session, name) if name.strip() else None
        if name.strip() and ci is None:
            raise TriageError(f"there is no CI {name.strip()!r}; add it on the CIs page, or check the name")
        if ci is not None and ci.status != "active":
            raise TriageError(f"{ci.name} is retired; make it active again on its page if it is back in service")
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
        _timeline(conn, entry(incident.id, "ci", f"{said} by {actor.name}", data=data))
        if "service" in data:
            session.flush()
            sla.replan(conn, SlaBookCache().current(conn), incident.id)
        return said


def retitle(db: Database, incident_id: int, title: str, actor: Actor) -> bool:
    """Give the incident a title that says what is wrong ("Help!!!" becomes "Outlook crashes at start"); the old
    one stays on the timeline. Returns whether it changed."""
    title = title.strip()
    if not title:
        raise TriageError("the title is empty; write what is wrong in a few words")
    if len(title) > TITLE_WIDTH:
        raise TriageError(f"the title is {len(title)} characters long; at most {TITLE_WIDTH} fit")
    if not is_one_line(title):
        raise TriageError("the title must be one line of text, without control characters")
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        if incident.title == title:
            return False
        summary = f"Title changed by {actor.name}"
        data = {"by": actor.name, "from": incident.title, "to": title}
        incident.title = title
        _timeline(session.connection(), entry(incident.id, "retitled", summary, data=data))
        return True


def set_public_note(db: Database, incident_id: int, text: str, actor: Actor) -> bool:
    """Say on the public status page what is happening, in words for the public (its title stays inside); an empty
    text takes the note down. On the timeline either way. Returns whether it changed."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > status_page.MAX_NOTE:
        raise TriageError(f"the public note is {len(text):,} characters; keep it under {status_page.MAX_NOTE:,}")
    if not is_one_line(text.replace("\n", " ")):
        raise TriageError("the public note must be plain text, without control characters")
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        if (incident.public_note or "") == text:
            return False
        incident.public_note, incident.public_note_at = text or None, utcnow()
        summary = f"Public status note {'set' if text else 'taken down'} by {actor.name}"
        _timeline(
            session.connection(),
            entry(incident.id, "public_note", summary, data={"by": actor.name, "text": text or None}),
        )
        return True


def add_note(
    db: Database, incident_id: int, text: str, actor: Actor, mail: Mail | None = None, spent: Spent | None = None
) -> Mentions:
    """An internal note: on the timeline, never mailed to the requester. Colleagues it @mentions (hub/mentions.py)
    are mailed the note, in the same transaction, when `mail` says how; the writer is never mailed their own.
    Returns who was told, and the names that matched no one or more than one. `spent`: time the writer logs with
    it (hub/time_spent.py)."""
    text = _text(text, "note")
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        conn = session.connection()
        names = mentions.handles(text)
        said = mentions.resolve(names, _active_users(conn)) if names and mail is not None else mentions.NONE
        said = replace(said, people=tuple(person for person in said.people if person != actor.name.lower()))
        told = list(said.people)
        data: dict[str, Any] = {"by": actor.name, "body": text, **({"mentioned": told} if told else {})}
        summary = f"Note by {actor.name}" + (f", mentioning {', '.join(told)}" if told else "")
        summary += _time_with(session, incident.id, actor, spent, data)
        note = entry(incident.id, "note", summary, data=data)
        if not told or mail is None:
            _timeline(conn, note)
            return said
        owed = [_mention(incident, person, actor, text, mail) for person in told]
        owe(conn, incident.id, owed, also=[note], automatic=False)  # a person's note, not an automatic message
        return said


def _mention(incident: Incident, person: str, actor: Actor, text: str, mail: Mail) -> notices.Notice:
    return notices.mention(incident_id=incident.id, title=incident.title, recipient=person, by=actor.name, note=text,
                           priority=incident.priority, desk_address=mail.desk_address, base_url=mail.base_url,
                           templates=mail.templates)  # fmt: skip


def _active_users(conn: Connection) -> list[str]:
    return list(conn.scalars(select(User.email).where(User.active.is_(True))))


def reply(db: Database, incident_id: int, text: str, actor: Actor, mail: Mail, spent: Spent | None = None) -> str:
    """Mail the requester, threaded under the conversation so their answer comes back to this incident.

    A person's reply is not automatic mail, so the loop caps for automatic mail do not hold it back. Returns the
    address it goes to.
    """
    text = _text(text, "reply")
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        if not incident.requester:
            raise TriageError(f"{incident.ref} has no requester to reply to (it came from {incident.source})")
        if is_pseudonym(incident.requester):
            raise TriageError(f"{incident.ref}'s requester asked to be erased: there is no one to reply to")
        conn = session.connection()
        notice = notices.agent_reply(
            incident_id=incident.id,
            title=incident.title,
            requester=incident.requester,
            text=text,
            agent=actor.name,
            desk_address=mail.desk_address,
            references=recipients.thread_message_ids(conn, incident.id),
            base_url=mail.base_url,
            templates=mail.templates,
        )
        if incident.status == "open":  # a reply is a first response
            incident.status = "acknowledged"
            incident.acknowledged_at = incident.acknowledged_at or utcnow()
            session.flush()
            sla.refresh(conn, incident.id)
        sla.agent_update(conn, incident.id)  # an update to the requester: the next is due a whole target later
        data: dict[str, Any] = {"by": actor.name, "body": text, "delivery_id": notice.delivery_id}
        summary = f"Reply by {actor.name} to {incident.requester}"
        summary += _time_with(session, incident.id, actor, spent, data)
        owe(conn, incident.id, [notice], also=[entry(incident.id, "reply", summary, data=data)], automatic=False)
        return incident.requester


def log_time(db: Database, incident_id: int, spent: Spent, actor: Actor) -> None:
    """Time spent on the incident without a note or a reply to go with it (a phone call, a visit to the desk)."""
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        data = time_spent.record(session, incident.id, actor.name, spent)
        summary = f"{time_spent.describe(spent.minutes)} spent by {actor.name}" + (
            f": {spent.what}" if spent.what else ""
        )
        _timeline(session.connection(), entry(incident.id, "time", summary, data=data))


def _time_with(session: Session, incident_id: int, actor: Actor, spent: Spent | None, data: dict[str, Any]) -> str:
    """Log `spent` with a note or a reply: the entry's id and minutes go into its `data`; returns what its summary
    adds ("" without time)."""
    if spent is None:
        return ""
    data["time_entry"] = time_spent.record(session, incident_id, actor.name, spent)["time_entry"]
    data["minutes"] = spent.minutes
    return f" ({time_spent.describe(spent.minutes)} spent)"


def take_back_time(db: Database, incident_id: int, entry_id: int, actor: Actor, *, anyones: bool = False) -> None:
    """Remove a time entry logged by mistake (one's own; anyone's for an admin); the timeline keeps both."""
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        try:
            row = time_spent.remove(session, incident.id, entry_id, actor.name, anyones=anyones)
        except BadInput as exc:
            raise TriageError(str(exc)) from None
        summary = f"{time_spent.describe(row.minutes)} spent by {row.who} taken back by {actor.name}"
        data = {"by": actor.name, "minutes": -row.minutes, "who": row.who, "time_entry": row.id}
        _timeline(session.connection(), entry(incident.id, "time", summary, data=data))


def watch(db: Database, incident_id: int, actor: Actor, *, on: bool = True, email: str | None = None) -> bool:
    """Start (or stop, `on=False`) telling `email` (default: the actor) about the incident's state changes;
    False if nothing changed. Only an active user can start watching: mail goes to people Switchboard knows."""
    who = (email or actor.name).strip().lower()
    with db.transaction() as session:
        incident = _locked(session, incident_id)
        conn = session.connection()
        if on and not recipients.active_people(conn, [who]):
            raise TriageError(f"{who} is not an active user; only users can watch an incident")
        changed = recipients.watch(conn, incident.id, who) if on else recipients.unwatch(conn, incident.id, who)
        if changed:
            summary = f"{'Watched' if on else 'No longer watched'} by {who}"
            if who != actor.name.lower():
                summary += f" (set by {actor.name})"
            _timeline(conn, entry(incident.id, "watch", summary, data={"by": actor.name, "who": who, "watching": on}))
        return changed


def merge(db: Database, duplicate_id: int, into_id: int, actor: Actor) -> None:
    """Close `duplicate_id` as a duplicate of `into_id`: its occurrences count on the survivor, and replies or
    alerts that still refer to it are easy to trace from both timelines."""
    if duplicate_id == into_id:
        raise TriageError("an incident cannot be merged into itself")
    with db.transaction() as session:
        first, second = sorted((duplicate_id, into_id))  # lock in id order, so two opposite merges cannot deadlock
        locked = {i.id: i for i in (_locked(session, first), _locked(session, second))}
        duplicate, survivor = locked[duplicate_id], locked[into_id]
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
        _timeline(conn, entry(duplicate.id, "merged", f"Merged into {survivor.ref} by {actor.name}", data=data))
        _timeline(conn, entry(survivor.id, "merged", f"{duplicate.ref} merged into this by {actor.name}", data=data))


# -- helpers ---------------------------------------------------------------------------------------------


def _locked(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise NoSuchIncident(f"there is no incident {format_ref(incident_id)}")
    return incident


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


def _text(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise TriageError(f"the {what} is empty; write something first")
    if len(text) > MAX_TEXT:
        raise TriageError(f"the {what} is {len(text):,} characters; keep it under {MAX_TEXT:,}")
    return text


def _name(value: str | None, what: str) -> str | None:
    """A category or service name: blank is none; longer than its column is refused rather than cut."""
    value = (value or "").strip()
    if len(value) > NAME_WIDTH:
        raise TriageError(f"the {what} is {len(value)} characters long; at most {NAME_WIDTH} fit")
    if not is_one_line(value):
        raise TriageError(f"the {what} must be one line of text, without control characters")
    return value or None


def _timeline(conn: Connection, row: dict[str, Any]) -> None:
    INSERT_TIMELINE.execute(conn, row)
