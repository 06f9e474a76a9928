"""A request's fulfilment steps' part of the OpenAPI document (web/steps_api.py), which web/openapi.py gathers."""

from __future__ import annotations

from typing import Any

from web.openapi_parts import answer, body, errors

_REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "example": "INC-1"}
_STEP = {"name": "step", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
         "description": "The step's number, 1 for the first, as the steps are listed."}  # fmt: skip

STEP = {
    "type": "object",
    "required": ["position", "text", "group", "done", "done_at", "done_by"],
    "properties": {
        "position": {"type": "integer", "minimum": 1},
        "text": {"type": "string", "examples": ["Order it"]},
        "group": {
            "type": ["string", "null"],
            "examples": ["procurement"],
            "description": "The group that does it, mailed when the steps before it are done; null: the "
            "request's assignee's.",
        },
        "done": {"type": "boolean"},
        "done_at": {"type": ["string", "null"], "format": "date-time"},
        "done_by": {"type": ["string", "null"], "description": "Who ticked it off: a person's email or a token."},
    },
}

_TICK = {
    "type": "object",
    "required": ["done"],
    "additionalProperties": False,
    "properties": {"done": {"type": "boolean", "description": "true: done; false: not done after all."}},
}
_STEPS = {"type": "array", "items": {"$ref": "#/components/schemas/RequestStep"}}

SCHEMAS: dict[str, Any] = {"RequestStep": STEP}

PATHS: dict[str, Any] = {
    "/api/v1/incidents/{ref}/steps/{step}": {
        "parameters": [_REF, _STEP],
        "post": {
            "summary": "Tick a request's fulfilment step off, or undo it (agent or admin tokens)",
            "description": "A request gets its type's steps as it opens. Each tick is on the timeline; the same "
            "again changes nothing. A resolved request's steps are still ticked; a closed one's are not (409: "
            "reopen it first). A tick done that brings the checklist to a step of a group mails that group's "
            "active members.",
            "operationId": "tickRequestStep",
            "requestBody": body(_TICK),
            "responses": {
                "200": answer(_STEPS, "The request's steps as they are now."),
                **errors(400, 401, 403, 404, 409, 503),
            },
        },
    },
}
