"""Mailing a signed link to an address someone typed into a public form, without making the desk a mail cannon.

Three forms do it: status updates (hub/status_subscriptions.py), "Ask the desk" (hub/pending_requests.py) and "My
requests" (hub/my_requests.py). Anyone may type anyone's address into them, so each mails only a link, to that
address, and this module decides whether it may: not to an address our mail bounced from lately, not to one no
mail can reach (an erased requester's pseudonym, hub/addresses.py), and not again within ASK_AGAIN_AFTER of the
last mail of the same kind to it. The forms answer the same whatever it decides, so they tell no one anything about
an address.

The outbox is the record of what was mailed when (its rows are kept, and indexed by recipient and time for the
caps of hub/outbox.py), so the quiet period needs no table of its own and holds even after the form's own row is
gone. Two asks for one address at the same moment take turns, so they cannot both send.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, exists, func, select

from hub.addresses import is_address, is_pseudonym
from hub.errors import BadInput
from hub.models import OutboxMessage
from hub.notices import Notice
from hub.outbox import outbox_row
from hub.statements import BOUNCED_UNTIL, INSERT_OUTBOX

#: Asking again within this sends no second mail of the kind to the address.
ASK_AGAIN_AFTER = timedelta(minutes=10)
#: The advisory locks' first key on PostgreSQL (the second is a hash of the address): asks for one address take
#: turns, so the quiet period holds for two at the same moment. SQLite's writers take turns already.
TURNS = 0x5B0B


class NotAnAddress(BadInput):
    """What was typed into a form is not one email address."""


def clean_address(text: str | None) -> str:
    """The address as kept (stripped, lower-cased), or NotAnAddress."""
    address = (text or "").strip().lower()
    if not is_address(address):
        raise NotAnAddress("enter one email address, like ann@example.com")
    return address


def owe_link(
    conn: Connection, address: str, kind: str, now: datetime, compose: Callable[[], Notice | None]
) -> bool:  # fmt: skip
    """Owe the mail `compose` makes (of `kind`, to `address`), unless the address must not get one now; returns
    whether a mail is owed. `compose` runs only when it may be sent, in the caller's transaction, and may still
    decide there is nothing to send (None): it is where the form stores what the link will name."""
    if is_pseudonym(address):
        return False
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(TURNS, func.hashtext(address))))
    if BOUNCED_UNTIL.scalar(conn, {"address": address, "now": now}) or mailed_lately(conn, address, kind, now):
        return False
    notice = compose()
    if notice is None:
        return False
    if (notice.recipient, notice.kind) != (address, kind):
        raise ValueError(f"a {notice.kind} mail to {notice.recipient} is not the {kind} mail to {address} allowed")
    INSERT_OUTBOX.execute_many(conn, [{**outbox_row(None, notice), "created_at": now}])
    return True


def mailed_lately(conn: Connection, address: str, kind: str, now: datetime) -> bool:
    """Whether a mail of `kind` was owed to `address` within ASK_AGAIN_AFTER before `now`."""
    lately = exists().where(
        OutboxMessage.recipient == address, OutboxMessage.created_at > now - ASK_AGAIN_AFTER, OutboxMessage.kind == kind
    )
    return bool(conn.scalar(select(lately)))
