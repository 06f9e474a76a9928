"""Who is copied on an incident's conversation, through the API, as the incident page's Copied box does it
(hub/copied_changes.py): `PUT /api/v1/incidents/<ref>/copied/<email>` copies someone, `DELETE` stops. Agent and
admin tokens; each answers the people copied as they are now, in the order they were added."""

from __future__ import annotations

from flask import Blueprint, Response, g

from hub import copied, copied_changes
from hub.agent_action import Actor
from hub.domain import format_ref
from web.acting import acting_db
from web.api import incident_number, token_required, triaged
from web.incident_actions import mail_settings
from web.permissions import WORK_INCIDENTS
from web.responses import json_error, json_response
from web.services import services

bp = Blueprint("copied_api", __name__, url_prefix="/api/v1/incidents")


@bp.put("/<ref>/copied/<email>")
@token_required(WORK_INCIDENTS)
@incident_number
def copy(ref: str, number: int, email: str) -> Response:
    """Copy `email` on the conversation: replies and the resolution mail go to them too. The same again changes
    nothing; an address the conversation cannot keep is a 400 saying why, in the page's words."""
    return _changed(number, email, on=True)


@bp.delete("/<ref>/copied/<email>")
@token_required(WORK_INCIDENTS)
@incident_number
def uncopy(ref: str, number: int, email: str) -> Response:
    """Stop copying `email`: the next mail goes without them, and copies still waiting in the outbox for them are
    discarded. 404 naming the address when it is not copied."""
    return _changed(number, email, on=False)


def _changed(number: int, email: str, *, on: bool) -> Response:
    address, actor, ref = email.strip().lower(), Actor(g.principal.by), format_ref(number)
    changed: list[bool] = []

    def apply() -> None:
        changed.append(copied_changes.change(acting_db(), number, address, actor, on=on, mail=mail_settings()))

    def answer(_: str, status: int) -> Response:
        if not on and not changed[0]:
            return json_error(404, f"{address} is not copied on {ref}: GET /api/v1/incidents/{ref} lists who is "
                                   "(`copied`)")  # fmt: skip
        with services().db.read() as session:
            return json_response({"copied": copied.copied(session.connection(), number)}, status)

    return triaged(apply, ref, answer=answer)
