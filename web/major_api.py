"""Major incidents through the API, as the incident page's forms do them (hub/major_incidents.py): declare one with
`POST /api/v1/incidents/<ref>/major`, hand its coordination over with `PATCH` (the declaration's one field that
changes) and stand it down with `DELETE`, whose JSON body may carry a `note` as the page's form does. Agent and admin
tokens (a personal one coordinates what it declares unless it names someone); each answers the incident, whose JSON
says `major`, `coordinator` and `major_since`."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from hub import major_incidents
from hub.agent_action import Actor
from web.acting import acting_db
from web.api import incident_number, token_required, triaged
from web.incident_actions import mail_settings
from web.permissions import WORK_INCIDENTS
from web.responses import json_error, request_json
from web.services import services

bp = Blueprint("major_api", __name__, url_prefix="/api/v1/incidents")

_DECLARE = '{"reason": "Nobody can run payroll", "coordinator": "ann@example.com"}'
_HAND_OVER = '{"coordinator": "bob@example.com"}'
_STAND_DOWN = '{"note": "One printer, not the floor"}'


@bp.post("/<ref>/major")
@token_required(WORK_INCIDENTS)
@incident_number
def declare(ref: str, number: int) -> Response:
    """Declare the incident a major incident: `reason` says why, `coordinator` (an active agent's or admin's email)
    leads it: a personal token's person when the body names none, as the page's form offers whoever declares; a
    desk's token is no one, so it names one. 201 with the incident; 409 when it is one already."""
    body = request_json()
    if not isinstance(body, dict) or not isinstance(body.get("reason"), str):
        return json_error(400, f"send {_DECLARE}: a reason, and the coordinator, an active agent's or admin's email")
    if not isinstance(body.get("coordinator"), str | None):
        return json_error(400, f"name the coordinator by an active agent's or admin's email: send {_DECLARE}")
    if unknown := sorted(set(body) - {"reason", "coordinator"}):
        return json_error(400, f"unknown field(s) {', '.join(unknown)}; send {_DECLARE}")
    coordinator = (body.get("coordinator") or "").strip() or g.principal.email
    if coordinator is None:
        return json_error(400, f"a desk's token is no one, so it names the coordinator (an active agent's or "
                               f"admin's email): send {_DECLARE}")  # fmt: skip
    settings = services().settings

    def apply() -> None:
        major_incidents.declare(acting_db(), number, body["reason"], Actor(g.principal.by), mail_settings(),
                                coordinator=coordinator, group=settings.major_incident_group)  # fmt: skip

    return triaged(apply, ref, 201)


@bp.patch("/<ref>/major")
@token_required(WORK_INCIDENTS)
@incident_number
def hand_over(ref: str, number: int) -> Response:
    """Hand coordination of the major incident over to `coordinator` (an active agent's or admin's email), who is
    paged as if it had just been declared; the same coordinator again changes nothing. 409 when it is not one."""
    body = request_json()
    if not isinstance(body, dict) or not isinstance(body.get("coordinator"), str) or not body["coordinator"].strip():
        return json_error(400, f"name the new coordinator, an active agent's or admin's email: send {_HAND_OVER}")
    if unknown := sorted(set(body) - {"coordinator"}):
        return json_error(400, f"unknown field(s) {', '.join(unknown)}; only its coordinator changes: {_HAND_OVER}")

    def apply() -> None:
        major_incidents.hand_over(acting_db(), number, body["coordinator"], Actor(g.principal.by), mail_settings())

    return triaged(apply, ref)


@bp.delete("/<ref>/major")
@token_required(WORK_INCIDENTS)
@incident_number
def stand_down(ref: str, number: int) -> Response:
    """Stand the major incident down (it was not one, or no longer is): those paged for it are told, with the
    `note` of an optional JSON body. 409 when it is not one, or is resolved (its review is owed)."""
    body = request_json() if request.get_data() else {}
    if not isinstance(body, dict) or not isinstance(body.get("note"), str | None):
        return json_error(400, f"send no body, or a note for those paged: {_STAND_DOWN}")
    if unknown := sorted(set(body) - {"note"}):
        return json_error(400, f"unknown field(s) {', '.join(unknown)}; send no body, or {_STAND_DOWN}")
    settings = services().settings

    def apply() -> None:
        major_incidents.stand_down(acting_db(), number, Actor(g.principal.by), mail_settings(),
                                   note=body.get("note") or "", group=settings.major_incident_group)  # fmt: skip

    return triaged(apply, ref)
