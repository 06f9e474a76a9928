"""What Switchboard holds on one requester's email address, found everywhere it can be (GDPR article 15), and
exported as one JSON document. hub/requester_erasure.py erases what `find` finds (article 17), so the preview,
the export and the erasure can never disagree about what is held.

Two kinds of holding:
- theirs: rows that exist because of them (incidents they requested, mail they sent and its files, the timeline
  entries of their mail and their satisfaction answers, mail we sent them and the files agents attached to it,
  their contact, subscription, watching, a bounce of their address, what they asked on the help centre's form).
  The export gives these whole. A request they sent from that form counts as mail they sent: its event is theirs.
- mentions: other rows whose text names the address (another person's mail that copied them in, an agent's note,
  an audit entry, a notice to an assignee). The export names these (table and id) without their text, which is
  other people's as much as theirs. Their full names in the desk's words, in the incidents linked to them, are
  found by hub/requester_names.py and counted the same way.
Addresses compare case-insensitively. Records of the desk's own staff (users, assignees, rules, groups, on-call,
changes) are the organisation's configuration, not a requester's data: they are not searched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any

from sqlalchemy import ColumnElement, String, Text, cast, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub import pending_requests, requester_names, requester_replies
from hub.addresses import is_address
from hub.domain import format_ref
from hub.errors import BadInput
from hub.models import (
    ArticleFeedback,
    Attachment,
    AuditEntry,
    BouncedAddress,
    Contact,
    Event,
    Incident,
    IncidentCopied,
    IncidentReview,
    IncidentWatcher,
    MajorIncident,
    Organisation,
    OutboxMessage,
    PendingRequest,
    ReviewAction,
    SatisfactionAnswer,
    StatusSubscriber,
    TimeEntry,
    TimelineEntry,
    utcnow,
)
from hub.reviews import FIELDS as REVIEW_TEXTS
from hub.statements import HEADERS_MAX

#: The export's shape, named in the document: a change to it that readers would notice gets a new number.
FORMAT = "switchboard.requester-data/1"
#: Timeline entries whose data says who wrote them, and the key that names them.
AUTHORED = {"email": "from", "satisfaction": "by"}


@dataclass(frozen=True)
class Holdings:
    """The ids of every row held on one address, by kind. Each field is one line of the preview's counts."""

    address: str
    incidents: tuple[int, ...] = ()  # they are the requester
    messages: tuple[int, ...] = ()  # events: mail they sent, and requests they sent from the help centre
    attachments: tuple[int, ...] = ()  # files their mail carried
    reply_files: tuple[int, ...] = ()  # files agents attached to replies to them (hub/agent_files.py)
    timeline_entries: tuple[int, ...] = ()  # their mail and their satisfaction answers on a timeline
    outbox: tuple[int, ...] = ()  # mail owed or sent to them
    satisfaction_answers: tuple[int, ...] = ()  # by incident id
    status_subscriptions: tuple[int, ...] = ()
    help_centre_requests: tuple[int, ...] = ()  # asked on the help centre's form (hub/pending_requests.py)
    contacts: tuple[int, ...] = ()
    watching: tuple[int, ...] = ()  # incident ids
    copied_on: tuple[int, ...] = ()  # incident ids: someone's conversation they are copied on (hub/copied.py)
    bounces: tuple[str, ...] = ()
    mentions_in_incidents: tuple[int, ...] = ()
    mentions_in_events: tuple[int, ...] = ()
    mentions_in_timeline: tuple[int, ...] = ()
    mentions_in_outbox: tuple[int, ...] = ()
    mentions_in_audit: tuple[int, ...] = ()
    mentions_in_time_entries: tuple[int, ...] = ()  # what an agent wrote of time spent ("called ann@...")
    mentions_in_article_feedback: tuple[int, ...] = ()  # what a help-centre reader wrote (it may be their address)
    mentions_in_major_incidents: tuple[int, ...] = ()  # a declaration's reason or stand-down note
    mentions_in_reviews: tuple[int, ...] = ()  # a post-incident review's texts, or its follow-ups' text or owner
    names: tuple[str, ...] = ()  # their full names (hub/requester_names.py): not a count, never in the audit
    names_in_incidents: tuple[int, ...] = ()  # rows of the incidents linked to them that name them by name
    names_in_timeline: tuple[int, ...] = ()
    names_in_outbox: tuple[int, ...] = ()
    names_in_time_entries: tuple[int, ...] = ()
    names_in_major_incidents: tuple[int, ...] = ()
    names_in_reviews: tuple[int, ...] = ()

    def counts(self) -> dict[str, int]:
        """Rows of each kind, in a stable order (every kind, zeros too)."""
        return {f.name: len(getattr(self, f.name)) for f in fields(self) if f.name not in ("address", "names")}

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


def normalised(address: str) -> str:
    """The address as looked up: stripped and lower-cased; BadInput when it is not one address."""
    found = address.strip().lower()
    if not is_address(found):
        raise BadInput(f"{address!r} is not an email address")
    return found


def mentions(column: InstrumentedAttribute[Any], address: str) -> ColumnElement[bool]:
    """Whether a text or JSON column names `address`, in any case (JSON as stored: json.dumps escapes)."""
    if isinstance(column.type, String):
        return func.lower(column).contains(address, autoescape=True)
    return func.lower(cast(column, Text)).contains(json.dumps(address)[1:-1], autoescape=True)


def _raw_mentions(session: Session, address: str) -> ColumnElement[bool]:
    """Whether an event's raw bytes name `address` in any case: as text, lower-cased, on each database (on
    PostgreSQL through its `escape` encoding, which writes bytes past ASCII as octal escapes, so the address is
    looked for written the same way); on SQLite, also byte for byte (its lower() leaves non-ASCII letters)."""
    if session.get_bind().dialect.name == "postgresql":
        escaped = "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\{b:03o}" for b in address.encode())
        return func.lower(func.encode(Event.raw, "escape")).contains(escaped, autoescape=True)
    as_text = func.lower(cast(Event.raw, Text))
    return or_(as_text.contains(address, autoescape=True), func.instr(Event.raw, address.encode()) > 0)


def sender(raw: bytes) -> str | None:
    """The address in a message's From header, lower-cased: whose mail it is (as ingest/mail.py takes it)."""
    found = getaddresses([str(BytesHeaderParser().parsebytes(raw[:HEADERS_MAX]).get("From", ""))])
    address = found[0][1].strip().lower() if found else ""
    return address or None


def sent_by(source: str, head: bytes) -> str | None:
    """Whose words an event is, from the start of its raw body: an email's sender, a help centre request's asker
    (hub/pending_requests.py), a reply's writer on their request's page (hub/requester_replies.py); None for what
    no person sent."""
    if source == "email":
        return sender(head)
    if source == requester_replies.SOURCE:
        return requester_replies.sender_in(head)
    return pending_requests.requester_in(head) if source == pending_requests.SOURCE else None


def authored_by(kind: str, data: Mapping[str, Any] | None, address: str) -> bool:
    """Whether a timeline entry holds the words of `address`: their mail, or their satisfaction answer."""
    key = AUTHORED.get(kind)
    return key is not None and isinstance(data, Mapping) and str(data.get(key) or "").lower() == address


def find(session: Session, address: str) -> Holdings:
    """Every row held on `address` (see the module's docstring); BadInput when it is not an address."""
    a = normalised(address)

    def ids(query: Any) -> tuple[Any, ...]:
        return tuple(session.scalars(query))

    incidents = ids(select(Incident.id).where(func.lower(Incident.requester) == a).order_by(Incident.id))
    text_columns = (Incident.title, Incident.description, Incident.resolution, Incident.public_note, Incident.labels)
    named_in = ids(select(Incident.id).where(or_(*(mentions(c, a) for c in text_columns))).order_by(Incident.id))

    messages: list[int] = []
    other_events: list[int] = []
    candidates = session.execute(
        select(Event.id, Event.source, func.substr(Event.raw, 1, HEADERS_MAX))
        .where(or_(_raw_mentions(session, a), mentions(Event.trace, a), mentions(Event.error, a)))
        .order_by(Event.id)
    )
    for event_id, source, head in candidates:
        (messages if sent_by(source, bytes(head)) == a else other_events).append(event_id)

    from_them = set(messages)
    entries: list[int] = []
    other_entries: list[int] = []
    for entry_id, kind, event_id, data in session.execute(
        select(TimelineEntry.id, TimelineEntry.kind, TimelineEntry.event_id, TimelineEntry.data)
        .where(
            or_(
                TimelineEntry.event_id.in_(messages),
                mentions(TimelineEntry.summary, a),
                mentions(TimelineEntry.data, a),
            )
        )
        .order_by(TimelineEntry.id)
    ):
        theirs = event_id in from_them or authored_by(kind, data, a)
        (entries if theirs else other_entries).append(entry_id)

    outbox = ids(select(OutboxMessage.id).where(func.lower(OutboxMessage.recipient) == a).order_by(OutboxMessage.id))
    contacts = ids(select(Contact.id).where(func.lower(Contact.email) == a))
    by_name = requester_names.find(session, a, incidents=incidents, messages=tuple(messages), contacts=contacts,
                                 outbox=outbox)  # fmt: skip
    named = session.scalars(select(OutboxMessage.attachment_ids).where(func.lower(OutboxMessage.recipient) == a))
    reply_files = ids(select(Attachment.id).where(Attachment.id.in_(sorted({i for row in named for i in row or ()})))
                      .order_by(Attachment.id))  # fmt: skip
    outbox_text = (OutboxMessage.subject, OutboxMessage.body, OutboxMessage.html, OutboxMessage.headers,
                   OutboxMessage.payload, OutboxMessage.facts, OutboxMessage.last_error)  # fmt: skip
    named_in_outbox = ids(
        select(OutboxMessage.id)
        .where(func.lower(OutboxMessage.recipient) != a, or_(*(mentions(c, a) for c in outbox_text)))
        .order_by(OutboxMessage.id)
    )
    return Holdings(
        address=a,
        incidents=incidents,
        messages=tuple(messages),
        attachments=ids(select(Attachment.id).where(Attachment.event_id.in_(messages)).order_by(Attachment.id)),
        reply_files=reply_files,
        timeline_entries=tuple(entries),
        outbox=outbox,
        satisfaction_answers=ids(
            select(SatisfactionAnswer.incident_id)
            .where(func.lower(SatisfactionAnswer.requester) == a)
            .order_by(SatisfactionAnswer.incident_id)
        ),
        status_subscriptions=ids(select(StatusSubscriber.id).where(func.lower(StatusSubscriber.email) == a)),
        help_centre_requests=ids(
            select(PendingRequest.id).where(func.lower(PendingRequest.email) == a).order_by(PendingRequest.id)
        ),
        contacts=contacts,
        watching=ids(
            select(IncidentWatcher.incident_id)
            .where(func.lower(IncidentWatcher.email) == a)
            .order_by(IncidentWatcher.incident_id)
        ),
        copied_on=ids(
            select(IncidentCopied.incident_id)
            .where(func.lower(IncidentCopied.email) == a)
            .order_by(IncidentCopied.incident_id)
        ),
        bounces=ids(select(BouncedAddress.address).where(func.lower(BouncedAddress.address) == a)),
        mentions_in_incidents=tuple(i for i in named_in if i not in incidents),
        mentions_in_events=tuple(other_events),
        mentions_in_timeline=tuple(other_entries),
        mentions_in_outbox=named_in_outbox,
        mentions_in_audit=ids(
            select(AuditEntry.id)
            .where(or_(mentions(AuditEntry.target, a), mentions(AuditEntry.detail, a)))
            .order_by(AuditEntry.id)
        ),
        mentions_in_time_entries=ids(select(TimeEntry.id).where(mentions(TimeEntry.what, a)).order_by(TimeEntry.id)),
        mentions_in_article_feedback=ids(
            select(ArticleFeedback.id).where(mentions(ArticleFeedback.comment, a)).order_by(ArticleFeedback.id)
        ),
        mentions_in_major_incidents=ids(
            select(MajorIncident.id)
            .where(or_(mentions(MajorIncident.reason, a), mentions(MajorIncident.end_note, a)))
            .order_by(MajorIncident.id)
        ),
        mentions_in_reviews=ids(
            select(IncidentReview.id)
            .where(
                or_(
                    *(mentions(getattr(IncidentReview, name), a) for name in REVIEW_TEXTS),
                    IncidentReview.id.in_(
                        select(ReviewAction.review_id).where(
                            or_(mentions(ReviewAction.text, a), mentions(ReviewAction.owner, a))
                        )
                    ),
                )
            )
            .order_by(IncidentReview.id)
        ),
        **asdict(by_name),
    )


def export(session: Session, address: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The JSON document of everything held on `address` (docs/privacy.md describes it); mail as text."""
    held = find(session, address)

    def rows(model: Any, key: Any, wanted: Iterable[Any]) -> list[Any]:
        wanted = list(wanted)
        return list(session.scalars(select(model).where(key.in_(wanted)).order_by(key))) if wanted else []

    files: dict[int | None, list[dict[str, Any]]] = {}
    for file in rows(Attachment, Attachment.id, held.attachments):
        files.setdefault(file.event_id, []).append(_file(file))
    reply_files = {file.id: _file(file) for file in rows(Attachment, Attachment.id, held.reply_files)}
    contacts = session.execute(
        select(Contact, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
        .where(Contact.id.in_(held.contacts))
    ).all()
    answers = rows(SatisfactionAnswer, SatisfactionAnswer.incident_id, held.satisfaction_answers)
    return {
        "format": FORMAT,
        "email": held.address,
        "exported_at": _when(now or utcnow()),
        "counts": held.counts(),
        "contacts": [_contact(row, organisation) for row, organisation in contacts],
        "incidents": [_incident(row) for row in rows(Incident, Incident.id, held.incidents)],
        "messages": [_message(row, files.get(row.id, [])) for row in rows(Event, Event.id, held.messages)],
        "timeline": [_entry(row) for row in rows(TimelineEntry, TimelineEntry.id, held.timeline_entries)],
        "mail_to_them": [_mail(row, reply_files) for row in rows(OutboxMessage, OutboxMessage.id, held.outbox)],
        "satisfaction_answers": [_answer(row) for row in answers],
        "status_subscriptions": [
            _subscription(row) for row in rows(StatusSubscriber, StatusSubscriber.id, held.status_subscriptions)
        ],
        "help_centre_requests": [
            _asked(row) for row in rows(PendingRequest, PendingRequest.id, held.help_centre_requests)
        ],
        "watching": [_ref(i) for i in held.watching],
        "copied_on": [_ref(i) for i in held.copied_on],
        "bounces": [
            {"until": _when(row.until), "reason": row.reason}
            for row in rows(BouncedAddress, BouncedAddress.address, held.bounces)
        ],
        "mentioned_in": {
            "incidents": [_ref(i) for i in held.mentions_in_incidents],
            "events": list(held.mentions_in_events),
            "timeline_entries": list(held.mentions_in_timeline),
            "outbox": list(held.mentions_in_outbox),
            "audit_log": list(held.mentions_in_audit),
            "time_entries": list(held.mentions_in_time_entries),
            "article_feedback": list(held.mentions_in_article_feedback),
            "major_incidents": list(held.mentions_in_major_incidents),
            "reviews": [_ref(i) for i in _review_incidents(session, held.mentions_in_reviews)],
        },
    }


def _review_incidents(session: Session, review_ids: tuple[int, ...]) -> list[int]:
    """The incidents whose reviews these are, as the export names them."""
    if not review_ids:
        return []
    query = select(IncidentReview.incident_id).where(IncidentReview.id.in_(review_ids))
    return list(session.scalars(query.order_by(IncidentReview.incident_id)))


def _contact(row: Contact, organisation: str | None) -> dict[str, Any]:
    return {"email": row.email, "name": row.name, "organisation": organisation, "created_at": _when(row.created_at)}


def _incident(row: Incident) -> dict[str, Any]:
    return {
        "reference": row.ref,
        "title": row.title,
        "description": row.description,
        "status": row.status,
        "priority": row.priority,
        "category": row.category,
        "service": row.service,
        "source": row.source,
        "opened_at": _when(row.first_seen),
        "resolved_at": _when(row.resolved_at),
        "resolution": row.resolution,
    }


def _message(row: Event, files: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "event": row.id,
        "received_at": _when(row.received_at),
        "incident": _ref(row.incident_id),
        "status": row.status,
        "message_id": row.message_id,
        "raw": bytes(row.raw).decode("utf-8", "replace"),
        "attachments": files,
    }


def _entry(row: TimelineEntry) -> dict[str, Any]:
    return {"incident": _ref(row.incident_id), "at": _when(row.at), "kind": row.kind, "summary": row.summary,
            "data": row.data}  # fmt: skip


def _file(row: Attachment) -> dict[str, Any]:
    return {"filename": row.filename, "content_type": row.content_type, "size": row.size, "sha256": row.sha256}


def _mail(row: OutboxMessage, files: Mapping[int, dict[str, Any]]) -> dict[str, Any]:
    return {
        "incident": _ref(row.incident_id),
        "kind": row.kind,
        "status": row.status,
        "subject": row.subject,
        "body": row.body,
        "facts": row.facts,
        "created_at": _when(row.created_at),
        "sent_at": _when(row.sent_at),
        "attachments": [files[i] for i in row.attachment_ids or () if i in files],
    }


def _answer(row: SatisfactionAnswer) -> dict[str, Any]:
    return {"incident": _ref(row.incident_id), "rating": row.rating, "comment": row.comment,
            "answered_at": _when(row.answered_at)}  # fmt: skip


def _subscription(row: StatusSubscriber) -> dict[str, Any]:
    return {"email": row.email, "services": row.services, "asked_at": _when(row.asked_at),
            "confirmed_at": _when(row.confirmed_at)}  # fmt: skip


def _asked(row: PendingRequest) -> dict[str, Any]:
    # The answers to a request type's questions are their words too (hub/request_types.py).
    return {"subject": row.subject, "body": row.body, "service": row.service, "answers": row.answers or [],
            "asked_at": _when(row.asked_at),
            "confirmed_at": _when(row.confirmed_at), "sent_at": _when(row.sent_at),
            "incident": _ref(row.incident_id)}  # fmt: skip


def _ref(incident_id: int | None) -> str | None:
    return format_ref(incident_id) if incident_id is not None else None


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def as_json(document: Mapping[str, Any]) -> str:
    """The export as text: stable key order as built, UTF-8 kept readable."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
