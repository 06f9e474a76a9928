"""The people a requester copied on their mail, kept in the conversation as service desks keep "CCs".

A requester who writes to the desk with colleagues on To or Cc means them to hear the answer. The intake keeps
them with the incident (`remember`: from the mail that opened it and from the requester's later replies that add
someone), and the mail that answers the requester goes to them too: an agent's public reply and the resolution
mail, each with the requester on To and them on Cc (`copies`). The acknowledgement does not: it only says the
desk has the mail, which the people copied on it do not need, and a reference mailed to all of them would have
each reply open more noise than help. Internal notes are never mail to anyone outside the desk.

Not kept: the desk's own addresses (mail to them only comes back in), the desk's people (agents follow an incident
by watching it), automatic senders, addresses erased on request, and addresses whose mail bounced lately. An agent
adds or removes one on the incident page; each change is on the timeline with who made it.

Each person copied gets their own message, addressed as one conversation (To: the requester, Cc: everyone
copied) but sent to them alone: the per-address caps and bounce pauses on automatic mail hold for each, and the
requester's "Follow your request" link and survey stay in the requester's own copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from email.utils import make_msgid

from sqlalchemy import Connection, delete, func, insert, select

from hub.addresses import is_automatic_sender, is_pseudonym
from hub.domain import InboundEvent
from hub.models import BouncedAddress, DeskAddress, Incident, IncidentCopied, User, utcnow
from hub.notices import Notice
from hub.outbox import entry
from hub.statements import INSERT_TIMELINE

#: The most people kept on one incident: a mail to a whole department is not a conversation to copy everyone on.
MOST = 20
#: What a copy's facts carry: the requester it copies, so the worker leaves the requester's links out of it.
COPY_OF = "copy_of"


def copied(conn: Connection, incident_id: int) -> list[str]:
    """The incident's copied people, in the order they were added."""
    query = (
        select(IncidentCopied.email)
        .where(IncidentCopied.incident_id == incident_id)
        .order_by(IncidentCopied.created_at, IncidentCopied.email)
    )
    return list(conn.scalars(query))


def why_not(conn: Connection, address: str, *, requester: str | None, desks: Collection[str]) -> str | None:
    """Why `address` cannot be kept in the conversation, in words for the agent; None when it can."""
    why = why_not_of(conn, [address], requester=requester, desks=desks)
    return why.get(address.strip().lower())


def why_not_of(
    conn: Connection, addresses: Iterable[str], *, requester: str | None, desks: Collection[str]
) -> dict[str, str]:
    """{address: why it cannot be copied} for those of `addresses` that cannot (lower-cased), in three statements."""
    wanted = list(dict.fromkeys(a.strip().lower() for a in addresses))
    why: dict[str, str] = {}
    ours = {d.lower() for d in desks}
    for address in wanted:
        if "@" not in address or len(address) > 320:
            why[address] = f"{address!r} is not an email address"
        elif address == (requester or "").lower():
            why[address] = f"{address} is the requester, who gets the desk's mail already"
        elif address in ours:
            why[address] = f"{address} is one of the desk's own addresses"
        elif is_pseudonym(address):
            why[address] = f"{address} was erased on request: nothing may be mailed to it"
        elif is_automatic_sender(address):
            why[address] = f"{address} is an automatic sender, which no one reads"
    rest = [a for a in wanted if a not in why]
    if not rest:
        return why
    for address in conn.scalars(select(DeskAddress.address).where(DeskAddress.address.in_(rest))):
        why[address] = f"{address} is one of the desk's own addresses"
    for address in conn.scalars(select(func.lower(User.email)).where(func.lower(User.email).in_(rest))):
        why[address] = f"{address} is one of the desk's people: they can watch the incident instead"
    bounced = select(BouncedAddress.address).where(BouncedAddress.address.in_(rest), BouncedAddress.until > utcnow())
    for address in conn.scalars(bounced):
        why[address] = f"mail to {address} bounced lately"
    return why


def remember(conn: Connection, incident_id: int, event: InboundEvent, *, desks: Collection[str]) -> None:
    """Keep the people the requester's mail copied (To and Cc) on its incident: only from the requester, and not
    from mail no one typed (an out-of-office copies its whole distribution list) or whose sender check failed
    (anyone could then add anyone to a stranger's conversation)."""
    if event.mail is None or not event.mail.copied or not event.requester:
        return
    if event.auto_submitted or event.bounce or event.looped or event.sender_failed:
        return
    ours = {d.lower() for d in (*desks, event.desk_address or "")}
    others = [a for a in event.mail.copied if a not in ours]  # most mail is to the desk alone: no statement then
    if not others:
        return
    requester = conn.scalar(select(Incident.requester).where(Incident.id == incident_id))
    if requester is None or requester.lower() != event.requester.lower():
        return  # a reply from someone copied, or from a stranger: it adds no one to the requester's conversation
    have = set(copied(conn, incident_id))
    new = [a for a in others if a not in have]
    if not new:
        return
    refused = why_not_of(conn, new, requester=requester, desks=ours)
    kept = [a for a in new if a not in refused][: max(0, MOST - len(have))]
    if kept:
        _add(conn, incident_id, kept, by=None)
        INSERT_TIMELINE.execute(conn, entry(incident_id, "copied", f"Copied on the conversation: {', '.join(kept)} "
                                            "(on the requester's mail)", data={"added": kept}))  # fmt: skip


def add(conn: Connection, incident_id: int, address: str, *, by: str, requester: str | None,
        desks: Collection[str]) -> bool:  # fmt: skip
    """An agent copies `address` on the conversation (False if it was already); ValueError says why it cannot be."""
    address = address.strip().lower()
    if (why := why_not(conn, address, requester=requester, desks=desks)) is not None:
        raise ValueError(why)
    have = copied(conn, incident_id)
    if address in have:
        return False
    if len(have) >= MOST:
        raise ValueError(f"{MOST} people are copied already; remove one first")
    _add(conn, incident_id, [address], by=by)
    INSERT_TIMELINE.execute(conn, entry(incident_id, "copied", f"{address} copied on the conversation by {by}",
                                        data={"added": [address], "by": by}))  # fmt: skip
    return True


def remove(conn: Connection, incident_id: int, address: str, *, by: str | None) -> bool:
    """Stop copying `address` (False if it was not copied); with `by`, the timeline says who removed them."""
    address = address.strip().lower()
    gone = conn.execute(
        delete(IncidentCopied).where(IncidentCopied.incident_id == incident_id, IncidentCopied.email == address)
    ).rowcount
    if gone and by is not None:
        INSERT_TIMELINE.execute(conn, entry(incident_id, "copied", f"{address} no longer copied, removed by {by}",
                                            data={"removed": [address], "by": by}))  # fmt: skip
    return bool(gone)


def _add(conn: Connection, incident_id: int, addresses: Sequence[str], *, by: str | None) -> None:
    now = utcnow()
    conn.execute(insert(IncidentCopied), [{"incident_id": incident_id, "email": a, "added_by": by, "created_at": now}
                                          for a in addresses])  # fmt: skip


def copies(notice: Notice, people: Sequence[str]) -> list[Notice]:
    """`notice` to the requester with `people` on its Cc, and one copy for each of them: the same mail, addressed
    as one conversation (To: the requester, Cc: all of them), each with its own delivery id and Message-ID, and
    without what is the requester's alone (their greeting by name, survey, "Follow your request" link)."""
    if not people or notice.channel != "email":
        return [notice]
    cc = ", ".join(people)
    owed = [replace(notice, headers={**notice.headers, "Cc": cc})]
    for person in people:
        delivery_id = str(uuid.uuid4())
        domain = notice.headers.get("From", "").rpartition("@")[2] or "localhost"
        facts = {k: v for k, v in (notice.facts or {}).items() if k not in ("greeting_name", "survey")}
        headers = {**notice.headers, "To": notice.recipient, "Cc": cc, "X-Switchboard-Delivery": delivery_id}
        owed.append(replace(notice, recipient=person, headers=headers, delivery_id=delivery_id,
                            message_id=make_msgid(idstring=delivery_id, domain=domain),
                            facts={**facts, "recipient": person, COPY_OF: notice.recipient}))  # fmt: skip
    return owed


def forget_address(conn: Connection, address: str) -> int:
    """Remove `address` from every conversation it is copied on (an erasure); how many it was on."""
    return conn.execute(delete(IncidentCopied).where(func.lower(IncidentCopied.email) == address.lower())).rowcount
