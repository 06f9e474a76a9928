"""What a requester may read of their request's mail on their own page (hub/request_links.py): the messages they
sent and the desk's replies to them, which they have in their mailbox already, and nothing else.

An incident's timeline also holds the desk's own work (internal notes, assignments, priorities, notices to agents)
and mail from other people (someone copied in who replied to the thread). Only three kinds of entry can be part of
the requester's conversation, and each is checked before it is shown:

- `opened`, of an incident opened by an email or by a request sent from the help centre's form (source `web`):
  the requester's first message, which is the incident's description. An incident an agent logged for someone
  (source `desk`) has no words of theirs: its description is the agent's.
- `email`, a mail threaded into the incident: only one from the requester's own address (`from` in its data, or
  for entries written before that was kept, the intake's summary "Reply from <address>: ..."), and not automatic
  mail from it (`automatic`: their out-of-office is not something they wrote to us).
- `reply`, an agent's answer: only when its mail (the outbox row its `delivery_id` names) went to the requester
  and was not given up on, so a reply that never reached them is not shown as if it had. The names of the files
  it carried are shown with it (the files themselves are in the mail), as are those of the files the requester's
  own mail carried (their opening mail's and their replies', the email's `event_id`'s; not the pictures placed in
  its text, such as a signature's logo), so "here is a photo" is seen to have come with its photo.

Neither an `opened` nor an `email` entry is shown when the receiving mail server found its From forged-looking
(`sender_check` `fail` in its data, ingest/mail_auth.py): it may not be theirs, and "You" would say it was.

Everything else (`note` is an internal note, and so are the files attached to it) is never read. Who answered is
never shown either: every reply is "The service desk". The requester's replies lose the quoted history below them
(the cutter is passed in, as the intake is given it: the hub does not import ingest), each message is cut at
MAX_CHARS, and the page shows the newest MAX_MESSAGES, saying when earlier ones are left to their mailbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from hub.domain import REQUESTER_TEXT_SOURCES
from hub.excerpts import excerpt
from hub.models import Attachment, Incident, OutboxMessage, TimelineEntry

#: The newest messages shown; earlier ones are in the requester's mailbox, as the page says.
MAX_MESSAGES = 50
#: Each message is cut here, with "…": the page is for finding your place, the mail has the rest.
MAX_CHARS = 3000
#: How much of a stored body is read: enough to find where the newest part of a reply ends within what is shown
#: (a quote header after MAX_CHARS changes nothing on the page), and to know a message is longer than shown.
READ_CHARS = MAX_CHARS + 1000
#: Entries read, newest first: the requester's and the desk's messages, with room for other people's mail.
READ_ENTRIES = 4 * MAX_MESSAGES
KINDS = ("opened", "email", "reply")
#: Outbox states of mail that never reached its recipient.
UNDELIVERED = frozenset({"dead", "discarded"})

YOU = "You"
DESK = "The service desk"


@dataclass(frozen=True)
class Message:
    """One message of the conversation as the requester sees it: when, whether it was theirs, plain text."""

    at: datetime
    from_requester: bool
    text: str
    files: tuple[str, ...] = ()  # the names of the files the mail carried

    @property
    def who(self) -> str:
        return YOU if self.from_requester else DESK


@dataclass(frozen=True)
class Conversation:
    """The messages shown, oldest first; `earlier`: older ones exist that are not shown."""

    messages: tuple[Message, ...] = ()
    earlier: bool = False


@dataclass(frozen=True)
class Entry:
    """A timeline entry that may belong to the conversation, as read: its body cut at READ_CHARS."""

    kind: str
    at: datetime
    summary: str
    body: str | None = None
    sender: str | None = None  # an `email` entry's `from`
    automatic: bool = False  # an `email` entry no one typed
    delivery_id: str | None = None  # a `reply` entry's mail
    unverified: bool = False  # an `opened` or `email` entry whose sender the receiving server could not verify
    id: int | None = None  # the entry's, which its files name
    event_id: int | None = None  # the stored email an `opened` or `email` entry records, which its files name


@dataclass(frozen=True)
class Delivery:
    """Where a reply's mail went, and how far it got (the outbox row)."""

    recipient: str
    status: str


def capped(text: str) -> str:
    """The text, cut at MAX_CHARS with "…" when longer."""
    return excerpt(text.strip(), MAX_CHARS)


def sent_by(entry: Entry, person: str) -> bool:
    """Whether an `email` entry is a mail `person` wrote (lower-cased, as links and the intake keep addresses)."""
    if entry.automatic:
        return False
    if entry.sender is not None:
        return entry.sender.lower() == person
    return entry.summary.startswith(f"Reply from {person}: ")  # the intake's summary, before `from` was kept


def shown(
    entry: Entry,
    *,
    person: str,
    source: str,
    description: str,
    deliveries: Mapping[str, Delivery],
    newest_part: Callable[[str], str | None],
    files: Mapping[int, tuple[str, ...]] = MappingProxyType({}),
) -> Message | None:
    """The message the requester sees for this entry, or None when it is not theirs to see. `files`: the names of
    the files each entry's mail carried, by entry id."""
    if entry.unverified:
        return None
    attached = files.get(entry.id or 0, ())
    if entry.kind == "opened":
        return Message(entry.at, True, capped(description), attached) if source in REQUESTER_TEXT_SOURCES else None
    if entry.kind == "email":
        if not sent_by(entry, person):
            return None
        body = entry.body or ""
        return Message(entry.at, True, capped(newest_part(body) or body), attached)
    if entry.kind == "reply":
        delivery = deliveries.get(entry.delivery_id or "")
        if delivery is None or delivery.recipient.lower() != person or delivery.status in UNDELIVERED:
            return None
        return Message(entry.at, False, capped(entry.body or ""), attached)
    return None


def conversation(
    entries: Iterable[Entry],
    *,
    person: str,
    source: str,
    description: str,
    deliveries: Mapping[str, Delivery],
    newest_part: Callable[[str], str | None],
    complete: bool = True,
    limit: int = MAX_MESSAGES,
    files: Mapping[int, tuple[str, ...]] = MappingProxyType({}),
) -> Conversation:
    """The newest `limit` messages of `entries` (oldest first) the requester may see. `complete`: False when older
    entries were not read, so there may be earlier messages. `files`: as for `shown`."""
    messages = [
        message
        for entry in entries
        if (message := shown(entry, person=person, source=source, description=description, deliveries=deliveries,
                             newest_part=newest_part, files=files)) is not None
    ]  # fmt: skip
    return Conversation(tuple(messages[-limit:]), earlier=len(messages) > limit or not complete)


def read(
    session: Session, incident: Incident, person: str, newest_part: Callable[[str], str | None] = lambda text: None
) -> Conversation:
    """The conversation of this incident (a merged one's own only) that `person`, its requester, may see.

    Three indexed reads: the newest READ_ENTRIES entries of the three kinds (by incident), only the parts of their
    data the page needs; the outbox rows of the replies among them (by delivery id), and the files of those replies
    (by entry) and of the requester's own mail among them (by event; only files attached, not those in the text;
    a note's are never asked for)."""
    entries = TimelineEntry
    rows = session.execute(
        select(
            entries.id,
            entries.kind,
            entries.at,
            entries.summary,
            func.substr(entries.data["body"].as_string(), 1, READ_CHARS),
            entries.data["from"].as_string(),
            entries.data["automatic"].as_boolean(),
            entries.data["delivery_id"].as_string(),
            entries.data[("sender_check", "verdict")].as_string(),
            entries.event_id,
        )
        .where(entries.incident_id == incident.id, entries.kind.in_(KINDS))
        .order_by(entries.id.desc())
        .limit(READ_ENTRIES + 1)
    ).all()
    read_all = len(rows) <= READ_ENTRIES
    found = [Entry(kind, at, summary, body, sender, bool(automatic), delivery_id, verdict == "fail", entry_id, event)
             for entry_id, kind, at, summary, body, sender, automatic, delivery_id, verdict, event
             in reversed(rows[:READ_ENTRIES])]  # fmt: skip
    wanted = [entry.delivery_id for entry in found if entry.kind == "reply" and entry.delivery_id]
    deliveries: dict[str, Delivery] = {}
    if wanted:
        outbox = select(OutboxMessage.delivery_id, OutboxMessage.recipient, OutboxMessage.status)
        deliveries = {
            delivery_id: Delivery(recipient, status)
            for delivery_id, recipient, status in session.execute(outbox.where(OutboxMessage.delivery_id.in_(wanted)))
        }
    replies = [entry.id for entry in found if entry.kind == "reply"]
    # The requester's mail: `shown` still decides whether each is theirs to see, files and all.
    mails = {entry.event_id: entry.id for entry in found
             if entry.kind in ("opened", "email") and entry.event_id is not None and entry.id is not None}  # fmt: skip
    files: dict[int, tuple[str, ...]] = {}
    if replies or mails:
        named = select(Attachment.timeline_entry_id, Attachment.event_id, Attachment.filename).where(
            or_(Attachment.timeline_entry_id.in_(replies), and_(Attachment.event_id.in_(mails), ~Attachment.inline))
        )
        for reply_id, event_id, filename in session.execute(named.order_by(Attachment.id)):
            entry_id = reply_id if reply_id is not None else mails.get(event_id or 0)
            if entry_id is not None:
                files[entry_id] = (*files.get(entry_id, ()), filename)
    return conversation(found, person=person, source=incident.source, description=incident.description,
                        deliveries=deliveries, newest_part=newest_part, complete=read_all, files=files)  # fmt: skip
