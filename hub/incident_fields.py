"""Several of an incident's fields changed as one (the API's PATCH): all of them, or none.

One transaction, so one check of who acts (`Database.guarded`) at its start, and a refusal of any field (a value
only the write can judge, such as an assignee deactivated meanwhile or a reopening another open incident's dedup
key forbids) rolls back the fields written before it. Each field is changed by `hub.triage`'s own function for it
(its `..._in` twin), so each still writes its own timeline entry and owes its own notices, as the page's forms do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub import triage
from hub.agent_action import Actor, Mail, locked
from hub.db import Database


def change(db: Database, incident_id: int, fields: Mapping[str, Any], actor: Actor, mail: Mail) -> None:
    """Change the incident's `fields` (`status`, with `resolution` when resolving; `priority`, `title`, `category`,
    `service`, `kind`, `public_note`, `assignee`; their types already checked) in one transaction. The status moves
    last, so a resolution's mail tells the incident as the other fields left it; a move its status cannot make is
    refused before anything is written."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        wanted = fields.get("status")
        action = triage.action_for(incident.status, wanted, incident.ref) if wanted else None
        if "priority" in fields:
            triage.set_priority_in(session, incident_id, fields["priority"], actor)
        if "title" in fields:
            triage.retitle_in(session, incident_id, fields["title"], actor)
        names = {name: fields[name] for name in ("category", "service", "kind") if name in fields}
        if names:  # one timeline entry, as the page's form makes
            triage.categorise_in(session, incident_id, actor, **names)
        if "public_note" in fields:
            triage.set_public_note_in(session, incident_id, fields["public_note"] or "", actor)
        if "assignee" in fields:
            triage.assign_in(session, incident_id, fields["assignee"], actor, mail)
        if action is not None:
            triage.status_change(session, incident_id, action, actor, mail, resolution=fields.get("resolution"))
