"""An agent's change to who is copied on an incident's conversation (hub/copied.py), as one locked transaction.

Apart from hub/copied.py because the notices of every state change read who is copied (hub/recipients.py), and
an agent's action needs what those notices are built on (hub/agent_action.py)."""

from __future__ import annotations

from hub.agent_action import Actor, Mail, TriageError, locked
from hub.copied import add, remove
from hub.db import Database


def change(db: Database, incident_id: int, address: str, actor: Actor, *, on: bool, mail: Mail) -> bool:
    """An agent copies (`on`) or stops copying `address` on the incident's conversation, on its timeline with who
    did; False when nothing changed. TriageError says why an address cannot be copied."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        conn = session.connection()
        if not on:
            return remove(conn, incident.id, address, by=actor.name)
        try:
            return add(conn, incident.id, address, by=actor.name, requester=incident.requester,
                       desks=(mail.desk_address, *mail.desks))  # fmt: skip
        except ValueError as exc:
            raise TriageError(f"{exc}; nothing was changed") from None
