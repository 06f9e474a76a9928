"""Requests asked on the help centre's "Ask the desk" form, waiting for the owner of their address to send them.

Anyone may type anyone's address into a public form, so asking opens nothing. It stores the request and owes one
mail to that address, with a signed link (CONFIRM) to a page showing the request with a button; only pressing it
sends the request through the intake like an email (ingest/asked.py), so the rules, the SLA and the
acknowledgement with its reference apply as they do to mail. The confirmation mail quotes nothing of what was
typed: a stranger's words, mailed to an address they chose, would make the desk a relay for spam.

Asking again within ten minutes of the last confirmation mail to the address stores nothing and sends no second
mail, and an address our mail bounced from lately gets none (hub/link_mail.py): the form answers the same either
way, so it tells no one anything about an address.

Sending exactly once. The intake commits in a transaction of its own, which cannot be nested in another, so
sending takes three steps, each its own transaction:

1. `take`: `confirmed_at` is set compare-and-set, which claims the request for CLAIM_LEASE; a second press
   meanwhile (a double click, a second tab) waits for the first one's result instead of sending it again;
2. the intake records the event, with `Pending.marker` as its Message-ID;
3. `settle`: `sent_at` and the incident.

After a crash between 2 and 3 the event is there, found by its marker (`recorded`), so whoever takes the request
next settles it without recording it again. After a crash between 1 and 2 the claim runs out, and the dispatcher's
upkeep sends what is left (`unsent`); when the intake fails instead, the claim ends at once (`release`), for the
person to press again or the upkeep to send it. A request whose button was pressed is never lost.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from hub import link_mail, notices
from hub.db import Database
from hub.domain import INCIDENT_KINDS
from hub.models import Event, PendingRequest, RequestType, utcnow
from hub.recipients import Sender
from hub.signed_links import Claim, LinkKind, StaleLink

#: The link in the confirmation mail. A day: long enough to find the mail tomorrow morning, short enough that a
#: request is not sent long after its trouble has passed.
CONFIRM = LinkKind(salt="switchboard.ask.confirm", lifetime=timedelta(hours=24), path="/help/ask/confirm/")
#: Requests are deleted this long after they were asked (their link expired long before), unless their button was
#: pressed and they are not sent yet. One that was sent lives on as its event and incident.
FORGET_AFTER = timedelta(days=7)
#: How long pressing the button holds a request for the one sending it. A claim taken over while its intake was
#: still committing would send the request twice, so this is far longer than any commit (milliseconds; waiting for
#: its turn at most max(30 s, 3 x SWITCHBOARD_DB_TIMEOUT_MS)). It is also how soon the upkeep sends a request
#: after a crash; a failed intake ends its claim at once (`release`).
CLAIM_LEASE = timedelta(minutes=5)
#: The source of the events requests become (the web door, beside `email` and `desk`).
SOURCE = "web"
#: The Message-ID domain of a request's event: `.invalid` is reserved (RFC 2606), so no mail's can be the same.
MARKER_DOMAIN = "ask.switchboard.invalid"


@dataclass(frozen=True)
class Question:
    """What someone asked on the form, checked (ingest/asked.py): the address is lower-cased, the subject one
    line, the service a public one or None."""

    email: str
    subject: str
    body: str
    service: str | None = None
    kind: str = INCIDENT_KINDS[0]  # what the requester said it is: something broken, or something they need
    request_type_id: int | None = None  # what they asked for from the request catalogue (hub/request_types.py)
    answers: tuple[tuple[str, str], ...] = ()  # (label, answer) to its questions, in their order


@dataclass(frozen=True)
class Pending:
    """A stored request, as read."""

    id: int
    email: str
    subject: str
    body: str
    service: str | None
    asked_at: datetime
    confirmed_at: datetime | None
    sent_at: datetime | None
    incident_id: int | None
    kind: str = INCIDENT_KINDS[0]
    request_type_id: int | None = None
    answers: tuple[tuple[str, str], ...] = ()
    request_type: str | None = None  # the request type's name as it is now (None: none, or removed)

    @property
    def marker(self) -> str:
        """The Message-ID its event is recorded with: how a request already recorded is recognised. The time it
        was asked keeps it apart from a later request that is given the same id after this one was deleted."""
        return f"<ask-{self.id}-{self.asked_at:%Y%m%d%H%M%S%f}@{MARKER_DOMAIN}>"

    @property
    def sent(self) -> bool:
        return self.sent_at is not None

    def sending(self, now: datetime) -> bool:
        """Whether a press of its button is sending it right now (it is claimed, and the claim has not run out)."""
        return not self.sent and self.confirmed_at is not None and now - self.confirmed_at < CLAIM_LEASE


def as_raw(request: Pending) -> bytes:
    """What the intake stores as the event received: the request as stored, as JSON, with its number and address
    first, where `requester_in` finds them (hub/requester_data.py reads only the start of an event)."""
    stored = {"request": request.id, "email": request.email, "subject": request.subject, "body": request.body,
              "service": request.service, "kind": request.kind, "request_type": request.request_type,
              "answers": [list(pair) for pair in request.answers], "asked_at": request.asked_at.isoformat(),
              "confirmed_at": request.confirmed_at.isoformat() if request.confirmed_at else None}  # fmt: skip
    return json.dumps(stored, ensure_ascii=False).encode()


def from_raw(raw: bytes) -> Pending:
    """The request a `web` event's raw body stores (`as_raw`), as it stood when sent, so the event can be made again
    from it (ingest/replay.py); ValueError, KeyError or TypeError when the body is not one.

    Every such body is replayable: one from before the form asked the kind (no `kind`) was an incident, as the form
    then made every request, and one from before the catalogue (no `request_type`, no `answers`) named no type."""
    stored = json.loads(raw)
    confirmed = stored["confirmed_at"]
    return Pending(
        id=int(stored["request"]), email=str(stored["email"]), subject=str(stored["subject"]),
        body=str(stored["body"]), service=stored["service"], asked_at=datetime.fromisoformat(stored["asked_at"]),
        confirmed_at=datetime.fromisoformat(confirmed) if confirmed else None, sent_at=None, incident_id=None,
        kind=stored.get("kind") or INCIDENT_KINDS[0], request_type=stored.get("request_type"),
        answers=tuple((str(label), str(answer)) for label, answer in stored.get("answers") or ()),
    )  # fmt: skip


_REQUESTER = re.compile(rb'\{"request": \d+, "email": "([^"\\]+)"')


def requester_in(head: bytes) -> str | None:
    """The address of the person whose request a `web` event's raw body (or its start) is; None for anything else."""
    found = _REQUESTER.match(head)
    return found.group(1).decode("utf-8", "replace") if found else None


def subject_in(raw: bytes) -> str:
    """The subject a `web` event's raw body says its requester typed ("" when it says none)."""
    try:
        stored = json.loads(raw)
    except ValueError:
        return ""
    subject = stored.get("subject") if isinstance(stored, dict) else None
    return subject if isinstance(subject, str) else ""


def ask(session: Session, question: Question, sender: Sender, now: datetime) -> bool:
    """Store the request and owe the mail whose link sends it, unless hub/link_mail.py holds it back (one sent to
    the address lately, or it bounced our mail). Returns whether it was stored; the person asking is told the same
    either way."""
    conn = session.connection()

    def confirmation() -> notices.Notice:
        answers = [list(pair) for pair in question.answers] if question.request_type_id is not None else None
        values = {"email": question.email, "subject": question.subject, "body": question.body,
                  "service": question.service, "kind": question.kind, "asked_at": now,
                  "request_type_id": question.request_type_id, "answers": answers}  # fmt: skip
        request_id = conn.execute(insert(PendingRequest).values(**values).returning(PendingRequest.id)).scalar_one()
        token = CONFIRM.sign(sender.signing_key("requests asked on the help centre"), request_id, question.email,
                             now=now)  # fmt: skip
        return notices.ask_confirmation(recipient=question.email, confirm_url=CONFIRM.url(sender.base_url, token),
                                        valid_for=CONFIRM.lifetime_in_words,
                                        desk_address=sender.desk_address, base_url=sender.base_url,
                                        templates=sender.templates)  # fmt: skip

    return link_mail.owe_link(conn, question.email, "ask_confirmation", now, confirmation)


def read(session: Session | Connection, claim: Claim) -> Pending:
    """The request a confirmation link names; StaleLink when it is gone (forgotten after FORGET_AFTER)."""
    row = session.execute(
        select(*_COLUMNS)
        .outerjoin(RequestType, RequestType.id == PendingRequest.request_type_id)
        .where(PendingRequest.id == claim.incident_id, PendingRequest.email == claim.person)
    ).first()  # the link's number is the request's; the address must match, as ids of deleted rows come back
    if row is None:
        raise StaleLink("this request is no longer here: requests are forgotten a week after they were asked")
    found = row._asdict()
    answers = tuple((str(label), str(answer)) for label, answer in found.pop("answers") or ())
    return Pending(**found, answers=answers)


def take(session: Session, claim: Claim, now: datetime) -> tuple[Pending, bool]:
    """Press the button: the request, and whether this caller claimed it and must now send it (False: it was sent
    already, or someone else is sending it right now). StaleLink when it is gone."""
    conn = session.connection()
    free = or_(PendingRequest.confirmed_at.is_(None), PendingRequest.confirmed_at < now - CLAIM_LEASE)
    taken = conn.execute(
        update(PendingRequest)
        .where(PendingRequest.id == claim.incident_id, PendingRequest.email == claim.person,
               PendingRequest.sent_at.is_(None), free)
        .values(confirmed_at=now)
    ).rowcount  # fmt: skip
    return read(conn, claim), taken == 1


def release(session: Session, request: Pending, taken_at: datetime) -> None:
    """End a claim whose sending failed (the intake did not commit) at once, as if its lease had run out: pressing
    the button again sends it straight away, and otherwise the upkeep does, since the button was pressed. A claim
    someone took over since is left alone."""
    session.connection().execute(
        update(PendingRequest)
        .where(PendingRequest.id == request.id, PendingRequest.sent_at.is_(None),
               PendingRequest.confirmed_at == taken_at)
        .values(confirmed_at=taken_at - CLAIM_LEASE - timedelta(seconds=1))
    )  # fmt: skip


def recorded(session: Session | Connection, request: Pending) -> tuple[int | None] | None:
    """(incident id,) of the event the request was recorded as already, or None when it was not: a crash came
    between the intake's commit and `settle`."""
    row = session.execute(
        select(Event.incident_id).where(Event.message_id == request.marker, Event.source == SOURCE).limit(1)
    ).first()
    return (row[0],) if row is not None else None


def settle(session: Session, request: Pending, incident_id: int | None, now: datetime) -> Pending:
    """Mark the request sent, as `incident_id` (None when the rules suppressed it)."""
    session.connection().execute(
        update(PendingRequest).where(PendingRequest.id == request.id, PendingRequest.sent_at.is_(None))
        .values(sent_at=now, incident_id=incident_id)
    )  # fmt: skip
    return read(session, Claim(request.id, request.email))


def unsent(session: Session, now: datetime) -> list[Claim]:
    """Requests whose button was pressed more than CLAIM_LEASE ago and that are still not sent: their sender
    crashed, and the upkeep sends them (through the same `take`)."""
    rows = session.execute(
        select(PendingRequest.id, PendingRequest.email)
        .where(PendingRequest.sent_at.is_(None), PendingRequest.confirmed_at < now - CLAIM_LEASE)
        .order_by(PendingRequest.id).limit(100)
    )  # fmt: skip
    return [Claim(request_id, email) for request_id, email in rows]


def forget_old(conn: Connection, now: datetime) -> int:
    """Delete the requests asked more than FORGET_AFTER ago that no one confirmed, or that were sent; returns how
    many. One pressed but not sent yet is kept for the upkeep to send."""
    done_or_never = or_(PendingRequest.confirmed_at.is_(None), PendingRequest.sent_at.is_not(None))
    old = delete(PendingRequest).where(PendingRequest.asked_at < now - FORGET_AFTER, done_or_never)
    return conn.execute(old).rowcount


def forget(db: Database, now: datetime | None = None) -> int:
    """`forget_old` in a transaction of its own (hub/retention.py's chore)."""
    with db.write() as conn:
        return forget_old(conn, now or utcnow())


_COLUMNS = (
    PendingRequest.id, PendingRequest.email, PendingRequest.subject, PendingRequest.body, PendingRequest.service,
    PendingRequest.asked_at, PendingRequest.confirmed_at, PendingRequest.sent_at, PendingRequest.incident_id,
    PendingRequest.kind, PendingRequest.request_type_id, PendingRequest.answers,
    RequestType.name.label("request_type"),
)  # fmt: skip
