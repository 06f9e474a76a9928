"""Approvals' part of the OpenAPI document (web/approvals_api.py): its paths and schema, which web/openapi.py
gathers with the rest."""

from __future__ import annotations

from typing import Any

from hub.approvals import MAX_NOTE, STATES
from web.openapi_parts import answer, body, error, errors

_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "example": "INC-1"}
_ID = {"name": "approval_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
       "description": "The approval's id, as the incident's approvals list it."}  # fmt: skip
_APPROVAL_REF = {"$ref": "#/components/schemas/Approval"}
_TEXT = {"type": ["string", "null"], "maxLength": MAX_NOTE}

APPROVAL = {
    "type": "object",
    "required": ["id", "incident", "approver", "asked_by", "note", "state", "comment", "asked_at", "decided_at"],
    "properties": {
        "id": {"type": "integer"},
        "incident": {"type": "string", "pattern": "^INC-[0-9]+$"},
        "approver": {"type": "string", "description": "The person asked: an active user's email."},
        "asked_by": {
            "type": ["string", "null"],
            "description": "Who asked: a user's email, or a desk token as token:<name>; null: a request type (or a "
            "token, before tokens were named here).",
        },
        "note": {"type": "string", "description": "Why they were asked."},
        "state": {"type": "string", "enum": list(STATES)},
        "comment": {"type": "string", "description": "The approver's, with their decision."},
        "asked_at": {"type": "string", "format": "date-time"},
        "decided_at": {**_TIME_OR_NULL, "description": "When it was decided or withdrawn."},
    },
}

SCHEMAS: dict[str, Any] = {"Approval": APPROVAL}

PATHS: dict[str, Any] = {
    "/api/v1/incidents/{ref}/approvals": {
        "parameters": [_REF],
        "get": {
            "summary": "The incident's approvals, oldest first",
            "operationId": "listApprovals",
            "responses": {
                "200": answer({"type": "array", "items": _APPROVAL_REF}, "Approvals."),
                **errors(401, 403, 404),
            },
        },
        "post": {
            "summary": "Ask a person to approve the incident (agent or admin tokens)",
            "description": "The approver is mailed the incident with a link to approve or reject it without logging "
            "in. While an approval is pending, the incident's SLA clocks stand still.",
            "operationId": "askApproval",
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["approver"],
                    "additionalProperties": False,
                    "properties": {
                        "approver": {"type": "string", "minLength": 1, "description": "An active user's email."},
                        "note": {**_TEXT, "description": "Why they are asked; in their mail."},
                    },
                }
            ),
            "responses": {
                "201": answer(_APPROVAL_REF, "The approval, pending."),
                "409": error(
                    "Refused, saying why: the approver is no active user, has one pending on it already, "
                    "or the incident is resolved or closed."
                ),
                **errors(400, 401, 403, 404, 503),
            },
        },
    },
    "/api/v1/approvals/{approval_id}/decision": {
        "parameters": [_ID],
        "post": {
            "summary": "Decide an approval: the approver with their personal token, or an admin's token for them",
            "description": "A personal token is its person: the approver decides their own approval with it "
            "(`approver` may be left out; anyone else's is a 403). A desk token is no one: an admin's names the "
            "approver, who must be the person asked, and the timeline says the token recorded it. Once only: a "
            "second decision is a 409.",
            "operationId": "decideApproval",
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["decision"],
                    "additionalProperties": False,
                    "properties": {
                        "decision": {"type": "string", "enum": ["approve", "reject"]},
                        "approver": {
                            "type": "string",
                            "minLength": 1,
                            "description": "The person asked: required with a desk token, left out with a "
                            "personal one.",
                        },
                        "comment": _TEXT,
                    },
                }
            ),
            "responses": {
                "200": answer(_APPROVAL_REF, "The approval, decided."),
                "403": error("The approver named is not the person asked, or the token is not an admin's."),
                "409": error("It was decided or withdrawn already."),
                **errors(400, 401, 404, 503),
            },
        },
    },
    "/api/v1/approvals/{approval_id}/withdraw": {
        "parameters": [_ID],
        "post": {
            "summary": "Withdraw a pending approval (agent or admin tokens)",
            "operationId": "withdrawApproval",
            "responses": {
                "200": answer(_APPROVAL_REF, "The approval, withdrawn."),
                "409": error("It was decided or withdrawn already."),
                **errors(401, 403, 404, 503),
            },
        },
    },
}
