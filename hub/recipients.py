"""Who hears about an incident's state change: its assignee (or its group's members), its watchers, the
requester of an email incident (of its resolution), and the channels its rules named when it was opened.

Every place that changes an incident's state (intake, agents' actions, the maintenance sweeps, escalation) asks
here, so each recipient gets one notice per state change however many ways they are connected to the incident
(an assignee who also watches it gets one mail), and the person who made the change is not told about it. Nor is
anyone who chose not to get that mail (hub/mail_choices.py): their choices come with the statement that finds
them active, and the timeline notes who turned it down. Whether a requester is mailed is one rule for every
path, hub/requester_mail_gate.py.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Label, bindparam, delete, func, insert, select

from hub import channels, contacts, copied, desks, mail_choices, notices, satisfaction, zones
from hub.domain import format_ref
from hub.mail_choices import MailChoices
from hub.mail_templates import DEFAULTS, MailTemplates
from hub.models import Event, GroupMember, Incident, IncidentWatcher, OutboxMessage, TimelineEntry, User, utcnow
from hub.models import Group as GroupRow
from hub.outbox import turned_down
from hub.prepared import Prepared
from hub.requester_mail_gate import RequesterMail, Verdict, may_mail

#: State changes the incident's channels hear about (besides its opening, which intake sends).
CHANNEL_KINDS = frozenset({"resolved", "reopened"})


@dataclass(frozen=True)
class Sender:
    """Where notices come from and link to, and the templates they are written with."""

    desk_address: str
    base_url: str
    templates: MailTemplates = DEFAULTS
    #: Signs the "How did we do?" links in a requester's resolution mail (the installation's SECRET_KEY); without
    #: it the mail asks nothing.
    secret_key: str | None = field(default=None, repr=False)
    #: The installation's time zone (SWITCHBOARD_TIMEZONE): times in mail to requesters and subscribers are in it.
    timezone: str = zones.DEFAULT
    #: Every address in SWITCHBOARD_DESK_ADDRESS (desk_address is the one mail is sent from): no requester at any
    #: of them is written to, as the mail would only come back in. Those added with `switchboard desk add` are
    #: read with the request (opening_facts), so knowing them costs no statement.
    desks: tuple[str, ...] = ()

    def signing_key(self, what: str) -> str:
        """The key that signs the links in `what`'s mail (ValueError without one: such mail cannot be sent)."""
        if not self.secret_key:
            raise ValueError(f"{what} need the installation's SECRET_KEY to sign their links")
        return self.secret_key


def zone_of_person(conn: Connection, email: str | None, default: str) -> ZoneInfo:
    """The zone someone reads the times in their mail in: their own choice on /account, else `default` (the
    installation's, as for requesters, who have no account)."""
    chosen = conn.scalar(select(User.timezone).where(User.email == email.lower())) if email else None
    return zones.zone_for(chosen, default)


def watchers(conn: Connection, incident_id: int) -> list[str]:
    """The incident's watchers' addresses, in the order they started watching."""
    query = (
        select(IncidentWatcher.email)
        .where(IncidentWatcher.incident_id == incident_id)
        .order_by(IncidentWatcher.created_at, IncidentWatcher.email)
    )
    return list(conn.scalars(query))


def watch(conn: Connection, incident_id: int, email: str) -> bool:
    """Add a watcher; False if they already watch it."""
    email = email.strip().lower()
    if email in watchers(conn, incident_id):
        return False
    conn.execute(insert(IncidentWatcher).values(incident_id=incident_id, email=email, created_at=utcnow()))
    return True


def unwatch(conn: Connection, incident_id: int, email: str) -> bool:
    """Remove a watcher; False if they were not watching."""
    done = conn.execute(
        delete(IncidentWatcher).where(
            IncidentWatcher.incident_id == incident_id, IncidentWatcher.email == email.strip().lower()
        )
    )
    return bool(done.rowcount)


def active_people(conn: Connection, emails: Iterable[str]) -> list[str]:
    """The addresses (lower-cased, first occurrence kept) that belong to active users."""
    return list(mail_choices.of_active(conn, emails))


#: The active members of a group with their mail choices, in strategy order: one prepared statement on the ingest
#: path.
_ACTIVE_MEMBERS = Prepared(
    select(GroupMember.email, User.mail_choices)
    .join(GroupRow, GroupRow.id == GroupMember.group_id)
    .join(User, User.email == GroupMember.email)
    .where(GroupRow.name == bindparam("name"), User.active.is_(True))
    .order_by(GroupMember.position),
    ("name",),
)


def active_members(conn: Connection, name: str) -> dict[str, MailChoices]:
    """The members of group `name` who are active users, with their mail choices, in strategy order (none for a
    name that is no group)."""
    rows = _ACTIVE_MEMBERS.execute(conn, {"name": name}).fetchall()
    return {email: mail_choices.read(choices) for email, choices in rows}


def group_members(conn: Connection, name: str) -> list[str]:
    """The members of group `name` (empty when there is no such group), in their strategy order."""
    query = (
        select(GroupMember.email)
        .join(GroupRow, GroupRow.id == GroupMember.group_id)
        .where(GroupRow.name == name)
        .order_by(GroupMember.position)
    )
    return list(conn.scalars(query))


def people_of(conn: Connection, assignee: str) -> tuple[dict[str, MailChoices], str | None]:
    """Who an assignee is, with their mail choices: the active person it names, or the active members of the group
    it names (then also the group's name, else None)."""
    own = mail_choices.of_active_user(conn, assignee)
    if own is not None:
        return {assignee.lower(): own}, None
    return active_members(conn, assignee), assignee


def assignment_notices(
    conn: Connection,
    *,
    incident_id: int,
    title: str,
    priority: int,
    assignee: str | None,
    sender: Sender,
    skip: Collection[str] = (),
) -> tuple[list[notices.Notice], list[dict[str, Any]]]:
    """Tell a person the incident is theirs; for a group name, tell each of its active members (the outbox caps
    still hold back a huge group's mails, each with a timeline line saying so). Also returns the timeline lines of
    those who chose not to be told at this priority."""
    if not assignee:
        return [], []
    people, group = people_of(conn, assignee)
    skipped = {s.lower() for s in skip}
    told, declined = mail_choices.sift({p: c for p, c in people.items() if p not in skipped}, "assigned", priority)
    owed = [
        notices.assignment(
            incident_id=incident_id,
            title=title,
            priority=priority,
            assignee=person,
            group=group,
            desk_address=sender.desk_address,
            base_url=sender.base_url,
            templates=sender.templates,
        )
        for person in told
    ]
    return owed, turned_down(incident_id, "assigned", declined)


def to_assignee(
    conn: Connection, incident_id: int, assignee: str | None, kind: str, priority: int,
    make: Callable[..., notices.Notice],
) -> tuple[list[notices.Notice], list[dict[str, Any]]]:  # fmt: skip
    """The notice of `kind` that `make(assignee=...)` composes, when the assignee is an active person (not a group
    name) who wants it; else the timeline line saying they turned it down, or nothing."""
    if not assignee or (choices := mail_choices.of_active_user(conn, assignee)) is None:
        return [], []
    if not mail_choices.wants(choices, kind, priority):
        return [], turned_down(incident_id, kind, [assignee.lower()])
    return [make(assignee=assignee)], []


def _followers(
    conn: Connection, incident_id: int, kind: str, priority: int, assignee: str | None, *, skip: Collection[str]
) -> tuple[list[str], list[str]]:
    """Who follows an incident, its assignee (a person) and its watchers, each once, active and not in `skip`:
    those to tell of `kind`, and those who chose not to be (a watcher who is also the assignee hears as the
    assignee)."""
    skipped = {s.lower() for s in skip}
    watching = watchers(conn, incident_id)
    people = mail_choices.of_active(conn, [assignee or "", *watching])
    only_watching = set(watching) - {(assignee or "").lower()}
    return mail_choices.sift({p: c for p, c in people.items() if p not in skipped}, kind, priority,
                             watchers=only_watching)  # fmt: skip


def reply_notices(
    conn: Connection, incident_id: int, *, requester: str, text: str, sender: Sender, unverified: bool = False
) -> tuple[list[notices.Notice], list[dict[str, Any]]]:
    """The notices a requester's reply owes: the assignee (a person) and the watchers hear what they wrote (marked
    when the sender was not verified); the requester, who wrote it, does not (should they be a user who watches).
    Also returns the timeline lines of those who chose not to hear of replies."""
    incident = conn.execute(
        select(Incident.title, Incident.assignee, Incident.priority).where(Incident.id == incident_id)
    ).one_or_none()
    if incident is None:
        return [], []
    people, declined = _followers(conn, incident_id, "requester_replied", incident.priority, incident.assignee,
                                  skip=[requester])  # fmt: skip
    owed = [notices.requester_replied(incident_id=incident_id, title=incident.title, recipient=person,
                                      requester=requester, text=text, desk_address=sender.desk_address,
                                      base_url=sender.base_url, unverified=unverified, templates=sender.templates)
            for person in people]  # fmt: skip
    return owed, turned_down(incident_id, "requester_replied", declined)


def state_change_notices(
    conn: Connection,
    incident_id: int,
    kind: str,
    *,
    source: str,
    sender: Sender,
    skip: Collection[str] = (),
    said: str | None = None,
    unverified: bool = False,
) -> tuple[list[notices.Notice], list[dict[str, Any]]]:
    """The notices a state change (`resolved`, `reopened`, `stable`) owes, and timeline notes for channels that
    no longer exist. `source` says who or what changed it; addresses in `skip` (the actor) are not told. `said`:
    what the requester wrote that reopened it (its newest part), quoted to those told, as a reply is
    (`unverified` as `reply_notices`'s)."""
    incident = conn.execute(
        select(
            Incident.title,
            Incident.status,
            Incident.priority,
            Incident.severity,
            Incident.assignee,
            Incident.category,
            Incident.requester,
            Incident.source,
            Incident.channels,
            Incident.resolution,
            *opening_facts(),
        ).where(Incident.id == incident_id)
    ).one_or_none()
    if incident is None:
        return [], []
    skipped = {s.lower() for s in skip}
    people, declined = _followers(conn, incident_id, kind, incident.priority, incident.assignee, skip=skipped)
    common = {"incident_id": incident_id, "title": incident.title, "desk_address": sender.desk_address,
              "base_url": sender.base_url, "templates": sender.templates}  # fmt: skip
    owed: list[notices.Notice] = []
    if kind in notices.STATE_CHANGE_TEMPLATES:
        more: dict[str, Any] = {"status": incident.status} if kind == "stable" else {"source": source}
        if kind == "resolved":
            more["resolution"] = incident.resolution
        if kind == "reopened":
            more.update(text=said, unverified=unverified)
        owed += [notices.state_change(kind, assignee=person, **more, **common) for person in people]
    notes: list[dict[str, Any]] = []
    if kind == "resolved":  # its requester hears of it, unless told already as one who follows it
        verdict = requester_verdict(incident, told=skipped | set(people), sender=sender)
        requester = verdict.to
        if not verdict.allowed:
            notes += refused(incident_id, verdict, "resolution mail")
        else:
            references = thread_message_ids(conn, incident_id, requester)
            survey = (satisfaction.links(sender.secret_key, sender.base_url, incident_id, requester)
                      if sender.secret_key else [])  # fmt: skip
            resolution = notices.requester_resolution(requester=requester, source=source, references=references,
                                                      resolution=incident.resolution, survey=survey,
                                                      requester_name=contacts.name_of(conn, requester),
                                                      **common)  # fmt: skip
            owed += copied.copies(resolution, copied.copied(conn, incident_id))  # on Cc, as replies (hub/copied.py)
            # One of the desk's people who asked it themselves hears as its requester, however they chose to hear
            # of what they watch: the timeline does not say they turned off the mail they are sent.
            declined = [person for person in declined if person != requester]
    notes = [*turned_down(incident_id, kind, declined), *notes]
    if kind in CHANNEL_KINDS and incident.channels:
        facts = channels.incident_facts(kind=kind, incident_id=incident_id, title=incident.title,
                                        priority=incident.priority, severity=incident.severity,
                                        status=incident.status, assignee=incident.assignee,
                                        category=incident.category, base_url=sender.base_url)  # fmt: skip
        to_channels, missing = channels.channel_notices(
            conn, incident.channels, facts, desk_address=sender.desk_address, templates=sender.templates
        )
        owed += to_channels
        notes += [_note(incident_id, line) for line in missing]
    return owed, notes


def merged_notices(
    conn: Connection, duplicate_id: int, into_id: int, *, sender: Sender, skip: Collection[str] = ()
) -> tuple[list[notices.Notice], list[dict[str, Any]]]:
    """What merging `duplicate_id` into `into_id` owes: its requester (not in `skip`, the person merging) hears that
    their request is followed under `into_id` now, when the gate lets them be mailed (hub/requester_mail_gate.py);
    else the timeline line saying why not, where the gate notes one."""
    incident = conn.execute(
        select(Incident.title, Incident.requester, Incident.source, *opening_facts()).where(Incident.id == duplicate_id)
    ).one_or_none()
    if incident is None:
        return [], []
    verdict = requester_verdict(incident, told=skip, sender=sender)
    if not verdict.allowed:
        return [], refused(duplicate_id, verdict, "mail", " about the merge")
    requester = verdict.to
    told = notices.requester_merged(incident_id=duplicate_id, title=incident.title, requester=requester,
                                    into=format_ref(into_id), desk_address=sender.desk_address,
                                    base_url=sender.base_url, templates=sender.templates,
                                    references=thread_message_ids(conn, duplicate_id, requester),
                                    requester_name=contacts.name_of(conn, requester))  # fmt: skip
    return [told], []


def requester_verdict(request: Any, *, told: Collection[str], sender: Sender) -> Verdict:
    """Whether the requester of `request` may be sent an automatic mail now (hub/requester_mail_gate.py): a row
    read with its `opening_facts` (`requester`, `source`, `verdict`, `automatic`, `desk`). Not those in `told` (who
    made the change, who is told of it already), nor any of the desk's addresses."""
    desk = (sender.desk_address, *sender.desks, *([request.desk] if request.desk else []))
    mail = RequesterMail(request.requester, request.source, opening_verdict=request.verdict,
                         opened_automatically=bool(request.automatic), told=told, desk=desk)  # fmt: skip
    return may_mail(mail)


def opening_facts() -> tuple[Label[str | None], Label[bool | None], Label[str]]:
    """What the gate weighs of each request a statement reads from incidents, as three of its columns, so it costs
    no statement of its own: of the mail that opened it, the receiving server's verdict on its From (`verdict`: an
    unverified one may be a stranger's words, and the address a third party's) and whether no one typed it
    (`automatic`, hub/mail_records.py::opened_data); and the desk address added with `switchboard desk add` that
    its requester is, or NULL (`desk`)."""
    opened = (TimelineEntry.incident_id == Incident.id, TimelineEntry.kind == "opened")
    verdict = select(TimelineEntry.data[("sender_check", "verdict")].as_string()).where(*opened).limit(1)
    automatic = select(TimelineEntry.data["automatic"].as_boolean()).where(*opened).limit(1)
    return (verdict.scalar_subquery().label("verdict"), automatic.scalar_subquery().label("automatic"),
            desks.added_desk(Incident.requester).label("desk"))  # fmt: skip


def refused(incident_id: int, verdict: Verdict, mail: str, about: str = "") -> list[dict[str, Any]]:
    """The timeline line on `incident_id` saying its requester was not sent `mail` and why, when the refusal is one
    the timeline notes (hub/requester_mail_gate.py::Refusal.noted); else none."""
    if verdict.refusal is None or not verdict.refusal.noted:
        return []
    return [_note(incident_id, f"No {mail} to {verdict.to}{about}: {verdict.refusal.value}")]


def thread_message_ids(conn: Connection, incident_id: int, requester: str) -> list[str]:
    """Message-IDs of the conversation with `requester` so far, oldest first (inbound mail and our own mail to
    them), for References. Our mail to the desk's own people (a mention, an assignment) stays out: the requester
    never saw it, and its Message-ID in their References would tell them it exists and thread under it."""
    found = _conversation_ids(
        conn, Event.incident_id == incident_id, OutboxMessage.incident_id == incident_id, [requester.lower()]
    )
    return _newest_references([(at, message_id) for _, at, message_id in found])


def thread_message_ids_of(conn: Connection, requesters: Mapping[int, str]) -> dict[int, list[str]]:
    """thread_message_ids for many incidents at once ({incident: its requester}), in two statements however many."""
    if not requesters:
        return {}
    ids, people = list(requesters), {p.lower() for p in requesters.values()}
    found = _conversation_ids(conn, Event.incident_id.in_(ids), OutboxMessage.incident_id.in_(ids), people,
                              requesters=requesters)  # fmt: skip
    return {
        incident_id: _newest_references([(at, mid) for of, at, mid in found if of == incident_id])
        for incident_id in ids
    }


def _conversation_ids(
    conn: Connection,
    inbound_of: ColumnElement[bool],
    outbound_of: ColumnElement[bool],
    people: Collection[str],
    *,
    requesters: Mapping[int, str] | None = None,
) -> list[tuple[int, datetime, str]]:
    """(incident, when, Message-ID) of the mail in the incidents `inbound_of` and `outbound_of` select: inbound, and
    ours by email to `people` (to each incident's own requester, when `requesters` names them). Inbound mail no one
    typed (an out-of-office, a bounce, our own mail come back: `automatic` on its timeline entry) stays out: a reply
    In-Reply-To the requester's auto-responder would thread under it in their client, not under their message."""
    automatic = select(TimelineEntry.id).where(
        TimelineEntry.event_id == Event.id,
        TimelineEntry.kind == "email",
        TimelineEntry.data["automatic"].as_boolean().is_(True),
    )
    inbound = select(Event.incident_id, Event.received_at, Event.message_id).where(
        inbound_of, Event.message_id.is_not(None), ~automatic.exists()
    )
    lower = func.lower(OutboxMessage.recipient)
    outbound = select(OutboxMessage.incident_id, OutboxMessage.created_at, OutboxMessage.message_id, lower).where(
        outbound_of,
        OutboxMessage.message_id.is_not(None),
        OutboxMessage.channel == "email",
        lower == next(iter(people)) if len(people) == 1 else lower.in_(people),
    )
    found = [(of, at, message_id) for of, at, message_id in conn.execute(inbound) if message_id and of is not None]
    found += [(of, at, message_id) for of, at, message_id, to in conn.execute(outbound)
              if message_id and of is not None and (requesters is None or requesters[of].lower() == to)]  # fmt: skip
    return found


def _newest_references(found: list[tuple[datetime, str]]) -> list[str]:
    return [message_id for _, message_id in sorted(found)][-20:]


def _note(incident_id: int, summary: str) -> dict[str, Any]:
    return {"incident_id": incident_id, "at": utcnow(), "kind": "notification", "summary": summary,
            "event_id": None, "data": None}  # fmt: skip
