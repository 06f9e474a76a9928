"""Who writes to the desk: a contact per sender address (made on their first mail) and an organisation per
company domain, so an incident shows "Ann Example, example.com" and SLA policies can narrow by organisation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import cast

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.addresses import ADDRESS_WIDTH
from hub.domain import InboundEvent
from hub.models import Contact, Organisation, utcnow
from hub.prepared import Prepared

CONTACTS = cast(Table, Contact.__table__)
ORGANISATIONS = cast(Table, Organisation.__table__)

#: Domains anyone can get an address at: a sender there belongs to no organisation by their domain. A short list
#: of the big providers; a missed one only makes an organisation that an admin can ignore.
FREE_MAIL = frozenset(
    {
        "aol.com", "gmail.com", "googlemail.com", "gmx.com", "gmx.de", "gmx.net", "hotmail.com", "hotmail.co.uk",
        "icloud.com", "live.com", "mac.com", "mail.com", "mail.ru", "me.com", "msn.com", "outlook.com", "proton.me",
        "protonmail.com", "qq.com", "web.de", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yandex.ru", "zoho.com",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Requester:
    """A contact as the incident page shows it."""

    email: str
    name: str | None
    organisation: str | None


def organisation_domain(address: str) -> str | None:
    """The domain an address's organisation is known by, or None for free-mail and malformed addresses."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain or "." not in domain or domain in FREE_MAIL or domain == "localhost" or len(domain) > 253:
        return None  # (no domain name is longer than 253 characters)
    return domain


# On every email: compiled once (hub/prepared.py), since SQLAlchemy's per-statement overhead is the larger cost.
_KNOWN = Prepared(
    select(CONTACTS.c.id, CONTACTS.c.name, ORGANISATIONS.c.name)
    .select_from(CONTACTS.outerjoin(ORGANISATIONS, ORGANISATIONS.c.id == CONTACTS.c.organisation_id))
    .where(CONTACTS.c.email == bindparam("email")),
    ["email"],
)


_ORGANISATION = Prepared(
    select(ORGANISATIONS.c.id, ORGANISATIONS.c.name).where(ORGANISATIONS.c.domain == bindparam("domain")), ["domain"]
)


def _inserts(table: Table, columns: tuple[str, ...]) -> dict[str, Prepared]:
    """INSERT ... ON CONFLICT DO NOTHING, prepared for each dialect: a row another process made at the same moment
    is as good as ours, and the transaction goes on."""
    return {
        dialect.__name__.rsplit(".", 1)[-1]: Prepared(dialect.insert(table).on_conflict_do_nothing(), columns)
        for dialect in (sqlite, postgresql)
    }


_NEW_CONTACT = _inserts(CONTACTS, ("email", "name", "organisation_id", "created_at"))
_NEW_ORGANISATION = _inserts(ORGANISATIONS, ("name", "domain", "created_at"))


def remember_sender(conn: Connection, event: InboundEvent) -> InboundEvent:
    """Make the sender a contact on their first mail (with their organisation by domain), and return the event
    with the `organisation` label set, which SLA policies select on. Mail no person sent makes no contact.

    Nor does mail whose From the receiving server found forged-looking (`sender_failed`, as everywhere else such
    mail acts for no one): anyone can write any From, and a forger must neither plant people or organisations in
    the directory nor name a real contact. Its incident takes no `organisation` label either, so naming a
    customer's address does not buy their SLA. A softfail acts as the sender's, here as elsewhere."""
    address = (event.requester or "").lower()
    if not address or event.auto_submitted or event.sender_failed or len(address) > ADDRESS_WIDTH:
        return event
    name = event.mail.sender_name if event.mail is not None else None
    row = _KNOWN.first(conn, {"email": address})
    if row is None:
        organisation = _organisation(conn, address)
        org_id = organisation[0] if organisation else None
        values = {"email": address, "name": (name or None) and name[:200], "organisation_id": org_id}
        _NEW_CONTACT[conn.dialect.name].execute(conn, {**values, "created_at": utcnow()})
        org_name = organisation[1] if organisation else None
    else:
        contact_id, known_name, org_name = row
        if name and not known_name:
            conn.execute(update(CONTACTS).where(CONTACTS.c.id == contact_id).values(name=name[:200]))
    if org_name is None or "organisation" in event.labels:
        return event
    return replace(event, labels=MappingProxyType({**event.labels, "organisation": org_name}))


def _organisation(conn: Connection, address: str) -> tuple[int, str] | None:
    domain = organisation_domain(address)
    if domain is None:
        return None
    row = _ORGANISATION.first(conn, {"domain": domain})
    if row is not None:
        return int(row[0]), str(row[1])
    values = {"name": domain[:200], "domain": domain, "created_at": utcnow()}  # named after it, at first
    _NEW_ORGANISATION[conn.dialect.name].execute(conn, values)
    made = _ORGANISATION.first(conn, {"domain": domain})
    return (int(made[0]), str(made[1])) if made is not None else None


def names_of(conn: Connection, addresses: Iterable[str]) -> dict[str, str]:
    """The names the desk knows these requesters by (their contact's: the display name of the first mail that gave
    one), by lower-cased address, for those that have one: what later mail to them greets them by, as the
    acknowledgement greeted them by their From (hub/people.py::greeting_name). One read however many."""
    wanted = sorted({address.lower() for address in addresses if address})
    if not wanted:
        return {}
    found = conn.execute(select(CONTACTS.c.email, CONTACTS.c.name).where(CONTACTS.c.email.in_(wanted),
                                                                         CONTACTS.c.name.is_not(None)))  # fmt: skip
    return {email: name for email, name in found}


def name_of(conn: Connection, address: str) -> str | None:
    """The name the desk knows one requester by (names_of), or None."""
    return names_of(conn, [address]).get(address.lower())


def requester_of(session: Session, address: str | None) -> Requester | None:
    """The contact behind an incident's requester address, if one was made."""
    if not address:
        return None
    row = session.execute(
        select(Contact.email, Contact.name, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
        .where(Contact.email == address.lower())
    ).first()
    return Requester(*row) if row is not None else None
