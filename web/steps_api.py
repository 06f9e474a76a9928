"""A request's fulfilment steps through the API, as the incident page's checklist ticks them (hub/request_steps.py):
`POST /api/v1/incidents/<ref>/steps/<n>` with {"done": true} or {"done": false}. Agent and admin tokens, guarded as
every API write is (web/acting.py); answers the request's steps as they are now."""

from __future__ import annotations

from flask import Blueprint, Response, g

from hub import request_steps
from hub.agent_action import Actor, Mail
from web.acting import acting_db
from web.api import incident_number, token_required, triaged
from web.permissions import WORK_INCIDENTS
from web.responses import json_error, json_response, request_json
from web.services import services

bp = Blueprint("steps_api", __name__, url_prefix="/api/v1/incidents")

_TICK = '{"done": true}'


@bp.post("/<ref>/steps/<int:step>")
@token_required(WORK_INCIDENTS)
@incident_number
def tick(ref: str, number: int, step: int) -> Response:
    """Mark step `step` (1-based, as the steps are listed) done or not done; on the timeline by a personal token's
    person, or the desk's token. 404 when the request has no such step; the same again changes nothing."""
    body = request_json()
    if not isinstance(body, dict) or not isinstance(body.get("done"), bool) or set(body) != {"done"}:
        return json_error(400, f'send {_TICK} to tick the step off, or {{"done": false}} to undo it')

    def apply() -> None:
        mail = Mail.of(services().settings)  # a tick may tell the next step's group (hub/step_turns.py)
        request_steps.tick(acting_db(), number, step, Actor(g.principal.by), mail, done=body["done"])

    return triaged(apply, ref, answer=lambda _, status: _steps(number, status))


def _steps(number: int, status: int) -> Response:
    with services().db.read() as session:
        return json_response([s.as_json() for s in request_steps.of_incident(session, number)], status)
