"""Erasing a requester (GDPR article 17): what hub/requester_data.py finds is removed or made anonymous in one
transaction, with an audit entry that counts what changed and names only the pseudonym.

What happens to each kind (docs/privacy.md says why):
- their address, wherever it is written (columns, text, JSON, other people's raw mail), becomes a pseudonym
  (hub/addresses.py::pseudonym): counts and reports still see one person, and no mail can reach it;
- mail they sent (and requests they sent from the help centre's form): the raw message becomes a stub naming the
  pseudonym, its files are unlisted (and deleted from the attachment store once no other mail carries them), its
  Message-ID is forgotten, so a reply to old mail opens a new request;
- their words: the description of an incident their mail or request opened, a title that quotes their subject,
  the text of their mail and satisfaction comments on timelines, and what notices quoted of them;
- mail owed to them and not yet sent is dropped; mail sent to them keeps its row (the counts) without contents;
  the files agents attached to replies to them are unlisted and deleted from the store as their own mail's are;
- their full names, where the desk wrote them in the incidents linked to them (hub/requester_names.py), become
  the pseudonym as the address does;
- their status subscription, what they asked on the help centre's form, watching, bounce record and contact's
  name go; incidents stay (the organisation's record), with the desk's own words in them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from functools import cached_property
from typing import Any, TypeVar, overload

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hub import audit, pending_requests, requester_names
from hub.addresses import pseudonym
from hub.article_feedback import MAX_COMMENT
from hub.attachments import AttachmentStore
from hub.db import Database
from hub.domain import REQUESTER_TEXT_SOURCES
from hub.errors import BadInput
from hub.major_incidents import REASON_WIDTH
from hub.models import (
    ArticleFeedback,
    Attachment,
    AuditEntry,
    BouncedAddress,
    Contact,
    DeskAddress,
    Event,
    Incident,
    IncidentCopied,
    IncidentReview,
    IncidentWatcher,
    MajorIncident,
    OutboxMessage,
    PendingRequest,
    SatisfactionAnswer,
    StatusSubscriber,
    TimeEntry,
    TimelineEntry,
    User,
)
from hub.requester_data import Holdings, find
from hub.reviews import ACTION_WIDTH, OWNER_WIDTH
from hub.reviews import FIELDS as REVIEW_TEXTS
from hub.statements import HEADERS_MAX
from hub.time_spent import WHAT_WIDTH

#: What stands where their words were.
ERASED = "[erased at the requester's request]"
#: The width of an incident's title (the pseudonym can be longer than what it replaces).
TITLE_WIDTH = 500
#: Keys of a timeline entry's or a notice's data that hold someone's own words.
WORDS = ("body", "html", "text", "comment")
#: Mail to them not sent yet: dropped, so none of it goes out.
UNSENT = ("pending", "queued", "dead")
T = TypeVar("T")


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: the pseudonym that now stands for the address, and the rows changed, by kind."""

    pseudonym: str
    counts: dict[str, int]


@dataclass(frozen=True)
class Scrub:
    """Replaces one address with its pseudonym, in any case, in text, bytes and JSON values (keys too)."""

    address: str
    alias: str

    @cached_property
    def _text(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.address), re.IGNORECASE)

    @cached_property
    def _bytes(self) -> re.Pattern[bytes]:
        return re.compile(re.escape(self.address.encode()), re.IGNORECASE)

    @overload
    def text(self, value: str) -> str: ...
    @overload
    def text(self, value: None) -> None: ...
    @overload
    def text(self, value: str | None) -> str | None: ...
    def text(self, value: str | None) -> str | None:
        return None if value is None else self._text.sub(self.alias, value)

    def raw(self, value: bytes) -> bytes:
        return self._bytes.sub(self.alias.encode(), bytes(value))

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._text.sub(self.alias, value)
        if isinstance(value, dict):
            return {self.json(k): self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        return value


@dataclass(frozen=True)
class NameScrub(Scrub):
    """Replaces their full names (hub/requester_names.py) where Scrub replaces the address: whole words, any case."""

    names: tuple[str, ...] = ()

    @cached_property
    def _text(self) -> re.Pattern[str]:
        return requester_names.pattern(self.names)


def without_words(data: Any) -> Any:
    """A timeline entry's or notice's data with the words in it erased (what it is about stays)."""
    if not isinstance(data, dict):
        return data
    return {k: (ERASED if k in WORDS and v else v) for k, v in data.items()}


def stub_message(alias: str) -> bytes:
    """What an erased mail's raw message becomes: still a message (replays and the mail view read it), no more."""
    return f"From: {alias}\r\nSubject: {ERASED}\r\n\r\n{ERASED}\r\n".encode()


def subject_of(raw: bytes) -> str:
    """A message's Subject as a person reads it, spaces collapsed ("" when there is none or it cannot be read)."""
    value = BytesHeaderParser().parsebytes(bytes(raw[:HEADERS_MAX])).get("Subject", "")
    try:
        text = str(make_header(decode_header(str(value))))
    except (ValueError, LookupError):
        text = str(value)
    return " ".join(text.split())


def quotes(title: str, subject: str) -> bool:
    """Whether an incident's title came from (or carries) a mail's subject."""
    title, subject = " ".join(title.split()).lower(), subject.lower()
    return bool(subject) and bool(title) and (subject in title or title in subject)


def refuse_staff(session: Session, address: str, desk: Collection[str] = ()) -> None:
    """An address of the desk's own (a user, a desk address in the table or in SWITCHBOARD_DESK_ADDRESS, passed
    as `desk`) is not a requester's: erasing it would rewrite the organisation's records of its own work, and
    every mail the desk ever sent. BadInput says so."""
    if session.scalar(select(User.id).where(func.lower(User.email) == address)) is not None:
        raise BadInput(f"{address} is a Switchboard user; a user's work is the organisation's record, not erased here")
    stored = session.scalar(select(DeskAddress.address).where(func.lower(DeskAddress.address) == address))
    if stored is not None or address in {a.lower() for a in desk}:
        raise BadInput(f"{address} is a desk address, not a requester")


def preview(session: Session, address: str, desk: Collection[str] = ()) -> Holdings:
    """What `erase` would change, changing nothing (the same `find`); BadInput as erase would refuse."""
    held = find(session, address)
    refuse_staff(session, held.address, desk)
    return held


def erase(db: Database, address: str, *, key: str, actor: str, files: AttachmentStore | None = None,
          desk: Collection[str] = ()) -> Erasure:  # fmt: skip
    """Erase `address` in one transaction (see the module's docstring); then delete from the store the files it
    unlisted (their mail's, and the desk's replies' to them) that no other row still names.

    `key` (the installation's SECRET_KEY) makes the pseudonym; `actor` is who asked, for the audit log; `desk`
    is the configured desk addresses (SWITCHBOARD_DESK_ADDRESS), refused like those in the table.
    """
    with db.transaction() as session:
        held = preview(session, address, desk)
        alias = pseudonym(held.address, key)
        digests = _apply(session, held, Scrub(held.address, alias))
        audit.record(session, actor, "requester.erase", alias, **held.counts())
    if files is not None and digests:
        with db.read() as session:
            kept = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(digests))))
        for digest in digests - kept:
            files.path(digest).unlink(missing_ok=True)
    return Erasure(alias, held.counts())


def _apply(session: Session, held: Holdings, scrub: Scrub) -> set[str]:
    """Every change of an erasure, in the caller's transaction; returns the digests of the files unlisted."""
    subjects: dict[int, str] = {}
    for event in _rows(session, Event, Event.id, held.messages):
        if event.incident_id is not None and event.incident_id not in subjects:
            typed = pending_requests.subject_in if event.source == pending_requests.SOURCE else subject_of
            subjects[event.incident_id] = typed(bytes(event.raw))
        event.raw, event.message_id, event.trace = stub_message(scrub.alias), None, None
        event.error = scrub.text(event.error)
    for event in _rows(session, Event, Event.id, held.mentions_in_events):
        event.raw, event.trace, event.error = scrub.raw(event.raw), scrub.json(event.trace), scrub.text(event.error)

    for incident in _rows(session, Incident, Incident.id, held.incidents):
        incident.requester = scrub.alias
        if incident.source in REQUESTER_TEXT_SOURCES:  # their words; an agent's description of a call is the desk's
            incident.description = ERASED
        if quotes(incident.title, subjects.get(incident.id, "")):
            incident.title = ERASED
        _scrub_incident(incident, scrub)
    for incident in _rows(session, Incident, Incident.id, held.mentions_in_incidents):
        _scrub_incident(incident, scrub)

    files = (*held.attachments, *held.reply_files)
    digests = set(session.scalars(select(Attachment.sha256).where(Attachment.id.in_(files))))
    session.execute(delete(Attachment).where(Attachment.id.in_(files)))

    for entry in _rows(session, TimelineEntry, TimelineEntry.id, held.timeline_entries):
        entry.data = scrub.json(without_words(entry.data))
        entry.summary = f"Reply from {scrub.alias}: {ERASED}" if entry.kind == "email" else scrub.text(entry.summary)
    for entry in _rows(session, TimelineEntry, TimelineEntry.id, held.mentions_in_timeline):
        _scrub_entry(entry, scrub)

    session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(held.outbox), OutboxMessage.status.in_(UNSENT)))
    for mail in _rows(session, OutboxMessage, OutboxMessage.id, held.outbox):  # sent: the row stays, not the mail
        mail.recipient, mail.subject, mail.body, mail.html = scrub.alias, ERASED, ERASED, None
        mail.facts, mail.template, mail.payload, mail.message_id = None, None, None, None
        mail.attachment_ids = None
        mail.headers, mail.last_error = scrub.json(mail.headers), scrub.text(mail.last_error)
    for mail in _rows(session, OutboxMessage, OutboxMessage.id, held.mentions_in_outbox):
        _scrub_notice(mail, scrub)

    for answer in _rows(session, SatisfactionAnswer, SatisfactionAnswer.incident_id, held.satisfaction_answers):
        answer.requester, answer.comment = scrub.alias, None
    for entry_of_audit in _rows(session, AuditEntry, AuditEntry.id, held.mentions_in_audit):
        entry_of_audit.target = scrub.text(entry_of_audit.target)
        entry_of_audit.detail = scrub.json(entry_of_audit.detail)
    for spent in _rows(session, TimeEntry, TimeEntry.id, held.mentions_in_time_entries):
        _scrub_time(spent, scrub)
    for feedback in _rows(session, ArticleFeedback, ArticleFeedback.id, held.mentions_in_article_feedback):
        feedback.comment = scrub.text(feedback.comment)[:MAX_COMMENT]  # the pseudonym can be the longer
    for declared in _rows(session, MajorIncident, MajorIncident.id, held.mentions_in_major_incidents):
        _scrub_declared(declared, scrub)
    for review in _rows(session, IncidentReview, IncidentReview.id, held.mentions_in_reviews):
        _scrub_review(review, scrub)
    _replace_names(session, held, NameScrub(held.address, scrub.alias, held.names))

    session.execute(delete(StatusSubscriber).where(StatusSubscriber.id.in_(held.status_subscriptions)))
    session.execute(delete(PendingRequest).where(PendingRequest.id.in_(held.help_centre_requests)))
    session.execute(delete(BouncedAddress).where(BouncedAddress.address.in_(held.bounces)))
    watcher = func.lower(IncidentWatcher.email) == held.address
    session.execute(delete(IncidentWatcher).where(watcher, IncidentWatcher.incident_id.in_(held.watching)))
    copy = func.lower(IncidentCopied.email) == held.address
    session.execute(delete(IncidentCopied).where(copy, IncidentCopied.incident_id.in_(held.copied_on)))
    _contact(session, held, scrub.alias)
    return digests


def _replace_names(session: Session, held: Holdings, names: NameScrub) -> None:
    """Their full names, in the incidents linked to them, become the pseudonym too (after the address, on the same
    rows where both are written)."""
    for incident in _rows(session, Incident, Incident.id, held.names_in_incidents):
        _scrub_incident(incident, names)
    for entry in _rows(session, TimelineEntry, TimelineEntry.id, held.names_in_timeline):
        _scrub_entry(entry, names)
    for mail in _rows(session, OutboxMessage, OutboxMessage.id, held.names_in_outbox):
        _scrub_notice(mail, names)
    for spent in _rows(session, TimeEntry, TimeEntry.id, held.names_in_time_entries):
        _scrub_time(spent, names)
    for declared in _rows(session, MajorIncident, MajorIncident.id, held.names_in_major_incidents):
        _scrub_declared(declared, names)
    for review in _rows(session, IncidentReview, IncidentReview.id, held.names_in_reviews):
        _scrub_review(review, names)


def _scrub_incident(incident: Incident, scrub: Scrub) -> None:
    incident.title = scrub.text(incident.title)[:TITLE_WIDTH]
    incident.description = scrub.text(incident.description)
    incident.resolution, incident.public_note = scrub.text(incident.resolution), scrub.text(incident.public_note)
    incident.labels = scrub.json(incident.labels)


def _scrub_entry(entry: TimelineEntry, scrub: Scrub) -> None:
    entry.summary, entry.data = scrub.text(entry.summary), scrub.json(entry.data)


def _scrub_time(spent: TimeEntry, scrub: Scrub) -> None:
    spent.what = (scrub.text(spent.what) or "")[:WHAT_WIDTH] or None


def _scrub_declared(declared: MajorIncident, scrub: Scrub) -> None:
    declared.reason = scrub.text(declared.reason)[:REASON_WIDTH]
    declared.end_note = (scrub.text(declared.end_note) or "")[:REASON_WIDTH] or None


def _scrub_review(review: IncidentReview, scrub: Scrub) -> None:
    for name in REVIEW_TEXTS:
        setattr(review, name, scrub.text(getattr(review, name)))
    for action in review.actions:
        action.text = scrub.text(action.text)[:ACTION_WIDTH]
        action.owner = (scrub.text(action.owner) or "")[:OWNER_WIDTH] or None


def _scrub_notice(mail: OutboxMessage, scrub: Scrub) -> None:
    """Another person's notice that names them; one that quotes what they wrote (an assignee told of their reply)
    loses the quote too."""
    facts = mail.facts or {}
    if str(facts.get("requester") or "").lower() == scrub.address and facts.get("text"):
        mail.body = mail.body.replace(str(facts["text"]), ERASED)
        facts = without_words(facts)
    mail.facts = scrub.json(facts) if mail.facts is not None else None
    mail.subject, mail.body = scrub.text(mail.subject), scrub.text(mail.body)
    mail.html, mail.headers = scrub.text(mail.html), scrub.json(mail.headers)
    mail.payload, mail.last_error = scrub.json(mail.payload), scrub.text(mail.last_error)


def _contact(session: Session, held: Holdings, alias: str) -> None:
    """Their contact keeps its organisation under the pseudonym (reports by organisation hold), without a name;
    erased once before, the one contact already there stands for them."""
    for contact in _rows(session, Contact, Contact.id, held.contacts):
        if session.scalar(select(Contact.id).where(Contact.email == alias)) is not None:
            session.delete(contact)
        else:
            contact.email, contact.name = alias, None


def _rows(session: Session, model: type[T], key: Any, ids: tuple[Any, ...]) -> list[T]:
    return list(session.scalars(select(model).where(key.in_(ids)).order_by(key))) if ids else []
