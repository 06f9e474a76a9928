"""An agent's change to who is copied on an incident's conversation (hub/copied.py), as one locked transaction.

Apart from hub/copied.py because the notices of every state change read who is copied (hub/recipients.py), and
an agent's action needs what those notices are built on (hub/agent_action.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import outbox_admin
from hub.agent_action import Actor, Mail, TriageError, locked
from hub.copied import COPY_OF, add, remove
from hub.db import Database
from hub.models import OutboxMessage


class NotCopyable(TriageError):
    """An address the conversation cannot keep (hub/copied.py `why_not`, or the most copied reached): the page
    flashes why, an API answers 400 with the same words."""


def change(db: Database, incident_id: int, address: str, actor: Actor, *, on: bool, mail: Mail) -> bool:
    """An agent copies (`on`) or stops copying `address` on the incident's conversation, on its timeline with who
    did; False when nothing changed. NotCopyable says why an address cannot be copied. Stopping also discards the
    copies still waiting in the outbox for them about this incident, in the same transaction: removed means the
    next mail goes without them, and so does one already owed."""
    address = address.strip().lower()
    with db.transaction() as session:
        incident = locked(session, incident_id)
        conn = session.connection()
        if not on:
            gone = remove(conn, incident.id, address, by=actor.name)
            if gone:
                _discard_copies(session, incident.id, address, by=actor.name)
            return gone
        try:
            return add(conn, incident.id, address, by=actor.name, requester=incident.requester,
                       desks=(mail.desk_address, *mail.desks))  # fmt: skip
        except ValueError as exc:
            raise NotCopyable(f"{exc}; nothing was changed") from None


def _discard_copies(session: Session, incident_id: int, address: str, *, by: str) -> None:
    """Discard (hub/outbox_admin.py) the undelivered copies of the incident's mail to `address`: only copies
    (their facts name whom they copy), so other mail to the same address, were there any, is left to go."""
    waiting = session.execute(
        select(OutboxMessage.id, OutboxMessage.facts)
        .where(
            OutboxMessage.incident_id == incident_id,
            OutboxMessage.recipient == address,
            OutboxMessage.status.in_(outbox_admin.UNDELIVERED),
        )
        .order_by(OutboxMessage.id)
        .with_for_update()
    )
    for outbox_id, facts in waiting.all():
        if (facts or {}).get(COPY_OF):
            outbox_admin.discard(session, outbox_id, by=by)
