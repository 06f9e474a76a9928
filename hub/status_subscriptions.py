"""Updates by mail from the public status page: who asked for them, and the links that confirm and end that.

Anyone may type anyone's address into the form, so asking sends only one mail, with a link to confirm
(double opt-in); until it is followed the address gets nothing else, and an unconfirmed request is forgotten
after CONFIRM's lifetime. Asking again soon after sends nothing more, nor does asking for an address that bounced
our mail (hub/link_mail.py), so the form cannot be used to flood someone's mailbox. Every update carries a link
that ends the subscription, also as `List-Unsubscribe` with RFC 8058's one-click POST, which mail providers offer
as a button.

The links are signed (hub/signed_links.py) and name the subscription's row and its address; following one
changes nothing by itself, as with every mail link here, except the one-click POST a mail provider makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, exists, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from hub import link_mail, notices, status_page
from hub.db import insert_new
from hub.errors import BadInput, Missing
from hub.models import BouncedAddress, StatusSubscriber
from hub.recipients import Sender
from hub.signed_links import Claim, LinkKind, StaleLink

#: The confirmation link: an unconfirmed request is forgotten once it has expired.
CONFIRM = LinkKind(salt="switchboard.status.confirm", lifetime=timedelta(days=7), path="/status/confirm/")
#: The link in every update that ends the subscription: it must outlive any mail someone keeps.
LEAVE = LinkKind(salt="switchboard.status.leave", lifetime=timedelta(days=3650), path="/status/unsubscribe/")


class BadChoice(BadInput):
    """A choice of services that leaves none to hear about."""


@dataclass(frozen=True)
class Subscriber:
    email: str
    created_at: datetime
    confirmed_at: datetime | None
    services: tuple[str, ...] | None = None  # the services chosen; None: every public one


def ask(session: Session, address: str, sender: Sender, now: datetime) -> bool:
    """Someone asked for updates at `address`: owe them the mail with the link that confirms it, unless they are
    subscribed already or hub/link_mail.py holds it back (sent one lately, bounced). Returns whether a mail is owed;
    the person asking is told the same either way, so the form does not say who is subscribed."""
    conn = session.connection()

    def confirmation() -> notices.Notice | None:
        subscriber_id = insert_new(conn, StatusSubscriber, StatusSubscriber.id, email=address, created_at=now,
                                   asked_at=now)  # fmt: skip
        if subscriber_id is None:  # asked before
            mine = select(StatusSubscriber.id, StatusSubscriber.confirmed_at).where(StatusSubscriber.email == address)
            subscriber_id, confirmed_at = conn.execute(mine).one()
            if confirmed_at is not None:
                return None
            conn.execute(update(StatusSubscriber).where(StatusSubscriber.id == subscriber_id).values(asked_at=now))
        token = CONFIRM.sign(sender.signing_key("status subscriptions"), subscriber_id, address, now=now)
        return notices.status_confirmation(recipient=address, confirm_url=CONFIRM.url(sender.base_url, token),
                                           desk_address=sender.desk_address, base_url=sender.base_url,
                                           templates=sender.templates)  # fmt: skip

    return link_mail.owe_link(conn, address, "status_confirmation", now, confirmation)


def _subscriber(session: Session, claim: Claim) -> StatusSubscriber:
    row = session.get(StatusSubscriber, claim.incident_id)  # a subscription link's number is the subscriber's
    if row is None or row.email != claim.person:
        raise StaleLink("this link no longer applies: that address is not subscribed now")
    return row


def subscription(session: Session, claim: Claim) -> Subscriber:
    """The subscription a confirmation or update link is about (StaleLink when it was ended or forgotten)."""
    return _public(_subscriber(session, claim))


def confirm(session: Session, claim: Claim, now: datetime, services: Sequence[str] | None = None) -> Subscriber:
    """Confirm the subscription the link names (again is harmless), for `services` (None: every public one);
    StaleLink when it is gone."""
    row = _subscriber(session, claim)
    row.confirmed_at = row.confirmed_at or now
    row.services = chosen(session, services)
    return _public(row)


def choose(session: Session, claim: Claim, services: Sequence[str] | None) -> Subscriber:
    """Change which services a subscriber hears about (from the page their update's link opens)."""
    row = _subscriber(session, claim)
    row.services = chosen(session, services)
    return _public(row)


def chosen(session: Session, services: Sequence[str] | None) -> list[str] | None:
    """What is kept of a choice of services: None (every one, new ones too) for none or all of the public ones,
    else the public ones chosen; BadChoice for a choice of none that are public."""
    public = status_page.public_services(session)
    if services is None or set(public) <= set(services):
        return None
    kept = [name for name in public if name in set(services)]
    if not kept:
        raise BadChoice("choose at least one service, or stop the updates instead")
    return kept


def leave(session: Session, claim: Claim) -> bool:
    """End the subscription the link names; False when it had ended already (the link still did its job)."""
    gone = session.connection().execute(
        delete(StatusSubscriber).where(StatusSubscriber.id == claim.incident_id, StatusSubscriber.email == claim.person)
    )
    return bool(gone.rowcount)


def remove(session: Session, address: str) -> None:
    """An admin removes an address (Missing when it is not subscribed)."""
    gone = session.connection().execute(
        delete(StatusSubscriber).where(StatusSubscriber.email == address.strip().lower())
    )
    if not gone.rowcount:
        raise Missing(f"{address} is not subscribed to status updates")


def _expired(now: datetime) -> ColumnElement[bool]:
    """Requests whose confirmation link has expired: an address no one confirmed is not kept."""
    return StatusSubscriber.confirmed_at.is_(None) & (StatusSubscriber.asked_at < now - CONFIRM.lifetime)


def any_to_forget(conn: Connection, now: datetime) -> bool:
    return conn.execute(select(StatusSubscriber.id).where(_expired(now)).limit(1)).first() is not None


def forget_unconfirmed(conn: Connection, now: datetime) -> int:
    """Forget the requests whose confirmation link has expired; returns how many."""
    return conn.execute(delete(StatusSubscriber).where(_expired(now))).rowcount


def listing(session: Session) -> list[Subscriber]:
    rows = session.scalars(select(StatusSubscriber).order_by(StatusSubscriber.email))
    return [_public(row) for row in rows]


def confirmed(conn: Connection | Session, now: datetime) -> list[tuple[int, str, tuple[str, ...] | None]]:
    """(id, address, services chosen or None for all) of every confirmed subscriber an update may go to: not those
    whose address bounced our mail lately (automatic mail to it pauses, hub/outbox.py)."""
    bounced = exists().where(BouncedAddress.address == StatusSubscriber.email, BouncedAddress.until > now)
    query = select(StatusSubscriber.id, StatusSubscriber.email, StatusSubscriber.services).where(
        StatusSubscriber.confirmed_at.is_not(None), ~bounced
    )
    return [
        (i, e, tuple(s) if s is not None else None) for i, e, s in conn.execute(query.order_by(StatusSubscriber.id))
    ]


def count(session: Session) -> int:
    """How many confirmed subscribers there are (the dashboard's figure)."""
    query = select(func.count()).select_from(StatusSubscriber).where(StatusSubscriber.confirmed_at.is_not(None))
    return int(session.scalar(query) or 0)


def leave_url(sender: Sender, subscriber_id: int, address: str, now: datetime) -> str:
    token = LEAVE.sign(sender.signing_key("status subscriptions"), subscriber_id, address, now=now)
    return LEAVE.url(sender.base_url, token)


def _public(row: StatusSubscriber) -> Subscriber:
    return Subscriber(row.email, row.created_at, row.confirmed_at,
                      tuple(row.services) if row.services is not None else None)  # fmt: skip
