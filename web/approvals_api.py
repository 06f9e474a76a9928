"""Approvals through the API (hub/approvals.py), as the incident page and the Approvals page do them: list an
incident's, ask one, record a decision, withdraw one. Each answers the approval (or the incident's list) as JSON.

A personal token is its person (hub/api_tokens.py), so an approver decides their own approval with theirs, as on
their Approvals page or through their mailed link. The desk's tokens are no one: recording a decision with one
takes an admin's and names the approver, who must be the one asked, and the timeline says the token recorded it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g

from hub import approvals
from hub.agent_action import Actor
from hub.approvals import Approval
from hub.domain import no_incident
from hub.models import Incident
from hub.numbers import row_id
from web.acting import acting_db, with_right
from web.api import incident_number, numbered, token_required, triaged
from web.incident_actions import mail_settings
from web.permissions import DECIDE_APPROVALS, MANAGE_USERS, VIEW_INCIDENTS, WORK_INCIDENTS
from web.responses import json_error, json_response, request_json
from web.services import services

bp = Blueprint("approvals_api", __name__, url_prefix="/api/v1")

_ASK = '{"approver": "manager@example.com", "note": "Within budget?"}'
_DECIDE = '{"decision": "approve", "approver": "manager@example.com", "comment": "Go ahead"}'


@bp.get("/incidents/<ref>/approvals")
@token_required(VIEW_INCIDENTS)
@incident_number
def index(ref: str, number: int) -> Response:
    """The incident's approvals, oldest first."""
    with services().db.read() as session:
        if session.get(Incident, number) is None:
            return json_error(404, no_incident(ref))
        return json_response([approval.as_json() for approval in approvals.of_incident(session, number)])


@bp.post("/incidents/<ref>/approvals")
@token_required(WORK_INCIDENTS)
@incident_number
def ask(ref: str, number: int) -> Response:
    """Ask `approver` (an active user's email) to approve the incident; they are mailed a link to decide. 201."""
    body = _body({"approver"}, {"note"}, _ASK)
    if isinstance(body, Response):
        return body
    actor = Actor(g.principal.by)
    return _answered(lambda: approvals.ask(acting_db(), number, body["approver"], body.get("note"), actor,
                                           mail_settings()), 201)  # fmt: skip


#: An API view on `/approvals/<approval_id>...`: its id as the incident's approvals list it.
approval_number = numbered("approval_id", "approval", row_id)


@bp.post("/approvals/<approval_id>/decision")
@token_required(DECIDE_APPROVALS)
@approval_number
def decide(approval_id: str, number: int) -> Response:
    """The approver decides with their personal token (`approver` may be left out); an admin's desk token records
    the approver's decision for them, naming them as `approver`, who must be the person asked."""
    principal = g.principal
    if principal.email is not None:  # a personal token is its person: they decide, as on their Approvals page
        body = _body({"decision"}, {"comment", "approver"}, _DECIDE)
        if isinstance(body, Response):
            return body
        if (body.get("approver") or principal.email).strip().lower() != principal.email:
            return json_error(403, f"a personal token decides only as its person, {principal.email}; leave out "
                                   "'approver' or use the approver's own token")  # fmt: skip
        me, decision, comment = Actor(principal.email), body["decision"], body.get("comment")
        return _answered(lambda: approvals.decide(acting_db(), number, decision, comment, me, mail_settings()))
    db, admin = with_right(MANAGE_USERS)
    if not admin:
        return json_error(403, f"the token's role {principal.role!r} may not record a decision for someone: that "
                               "takes an admin's token, or the approver's own personal token")  # fmt: skip
    body = _body({"decision", "approver"}, {"comment"}, _DECIDE)
    if isinstance(body, Response):
        return body
    approver, token = Actor(body["approver"]), principal.by
    return _answered(lambda: approvals.decide(db, number, body["decision"], body.get("comment"), approver,
                                              mail_settings(), recorded_by=token))  # fmt: skip


@bp.post("/approvals/<approval_id>/withdraw")
@token_required(WORK_INCIDENTS)
@approval_number
def withdraw(approval_id: str, number: int) -> Response:
    """Withdraw a pending approval; 409 once it was decided."""
    actor = Actor(g.principal.by)
    return _answered(lambda: approvals.withdraw(acting_db(), number, actor, mail_settings()))


def _body(required: set[str], optional: set[str], example: str) -> dict[str, Any] | Response:
    """The JSON body with `required` strings and maybe `optional` ones (strings or null), or the 400 saying what to
    send."""
    body = request_json()
    if not isinstance(body, dict) or not all(isinstance(body.get(name), str) for name in required):
        return json_error(400, f"send {example}")
    if unknown := sorted(set(body) - required - optional):
        return json_error(400, f"unknown field(s) {', '.join(unknown)}; send {example}")
    if not all(isinstance(body.get(name), str | None) for name in optional):
        return json_error(400, f"send {example}")
    return body


def _answered(apply: Callable[[], Approval], status: int = 200) -> Response:
    """The approval as JSON, or why nothing changed as every incident action answers it (web/api.py `triaged`: 404,
    403 for someone not the approver, 409, or 503 to retry)."""
    done: list[Approval] = []
    return triaged(lambda: done.append(apply()), "", status,
                   answer=lambda _ref, code: json_response(done[0].as_json(), code))  # fmt: skip
