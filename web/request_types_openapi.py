"""The request catalogue's part of the OpenAPI document (web/request_types_api.py): its paths and schemas, which
web/openapi.py gathers with the rest."""

from __future__ import annotations

from typing import Any

from hub.names import NAME_WIDTH
from hub.request_questions import KINDS, MAX_CHOICE, MAX_CHOICES, MAX_LABEL, MAX_QUESTIONS
from hub.request_steps import MAX_STEP, MAX_STEPS
from hub.request_types import MAX_DESCRIPTION, MAX_SUMMARY
from web.openapi_parts import answer, body, error, errors

_TEXT_OR_NULL = {"type": ["string", "null"]}
QUESTION = {
    "type": "object",
    "required": ["label"],
    "properties": {
        "label": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL, "examples": ["Cost centre"]},
        "required": {"type": "boolean", "default": False},
        "kind": {"type": "string", "enum": list(KINDS), "default": "line",
                 "description": "line: a one-line answer; text: a longer one; choice: one of `choices`."},
        "choices": {"type": "array", "maxItems": MAX_CHOICES,
                    "items": {"type": "string", "minLength": 1, "maxLength": MAX_CHOICE}},
    },
}  # fmt: skip
_STEP_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_STEP}
_STEPS = {
    "type": "array",
    "maxItems": MAX_STEPS,
    "items": {
        "oneOf": [
            {**_STEP_TEXT, "description": "A step the request's assignee does."},
            {
                "type": "object",
                "required": ["text"],
                "additionalProperties": False,
                "properties": {
                    "text": _STEP_TEXT,
                    "group": {
                        "type": ["string", "null"],
                        "maxLength": NAME_WIDTH,
                        "description": "The group that does it (one there is), mailed when the steps before "
                        "it are done; null or left out: none.",
                    },
                },
            },
        ]
    },
    "examples": [["Order it", {"text": "Image it", "group": "desktop"}, "Hand it over"]],
    "description": "Its fulfilment checklist, in order, copied onto each request as it opens; [] clears it. A step "
    "is answered as a string unless a group does it, then as an object.",
}
_QUESTIONS = {"type": "array", "maxItems": MAX_QUESTIONS, "items": {"$ref": "#/components/schemas/RequestQuestion"}}
REQUEST_TYPE = {
    "type": "object",
    "required": ["id", "name", "summary", "description", "category", "group", "service", "questions", "active",
                 "position", "approver", "steps"],
    "properties": {
        "id": {"type": "integer", "description": "What /api/v1/request-types/{id} names; a rename keeps it."},
        "name": {"type": "string"},
        "summary": {"type": "string", "description": "One line, beside the name on the help centre."},
        "description": {"type": "string", "description": "Shown on its form on the help centre."},
        "category": {**_TEXT_OR_NULL, "description": "Its requests' category where no specific rule sets one."},
        "group": {**_TEXT_OR_NULL, "description": "Its requests' group where no specific rule assigns them."},
        "service": _TEXT_OR_NULL,
        "questions": _QUESTIONS,
        "active": {"type": "boolean", "description": "Offered on the help centre; false: retired."},
        "position": {"type": "integer", "description": "The help centre lists them by it, then by name."},
        "approver": {**_TEXT_OR_NULL, "description": "The address of the user asked to approve each request as "
                                                      "it comes in; null: no one."},
        "steps": _STEPS,
    },
}  # fmt: skip
_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": NAME_WIDTH, "examples": ["VPN access"]},
    "summary": {"type": "string", "minLength": 1, "maxLength": MAX_SUMMARY, "examples": ["Remote access"]},
    "description": {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION},
    "category": {**_TEXT_OR_NULL, "examples": ["network"]},
    "group": {**_TEXT_OR_NULL, "examples": ["network"]},
    "service": _TEXT_OR_NULL,
    "questions": _QUESTIONS,
    "position": {"type": "integer", "minimum": -10000, "maximum": 10000},
    "active": {"type": "boolean", "description": "PATCH only: false retires it, true restores it."},
    "steps": _STEPS,
    "approver": {
        **_TEXT_OR_NULL,
        "maxLength": 320,
        "examples": ["manager@example.com"],
        "description": 'An active user\'s address (any role); null or "" clears it (PATCH).',
    },
}
_BAD = "A mistake; `field` names the field at fault."


def _object(required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": _FIELDS, "additionalProperties": False, "minProperties": 1,
            **({"required": required} if required else {})}  # fmt: skip


_REF = {"$ref": "#/components/schemas/RequestType"}
_NAMES = {"type": "array", "items": {"type": "string"}}
#: A rename's effect on the rules that test the type's name (hub/request_types.py `Changed`).
RENAMED = {
    "type": "object",
    "required": ["from", "rules_rewritten", "rules_not_rewritten"],
    "properties": {
        "from": {"type": "string", "description": "The name it had."},
        "rules_rewritten": {**_NAMES, "description": "Rules whose equals / not_equals / in tests now name it anew."},
        "rules_not_rewritten": {**_NAMES, "description": "Rules testing the name by a pattern (contains, "
                                                         "starts_with, ends_with, regex) that now answers "
                                                         "differently: change them by hand if they meant this type."},
    },
}  # fmt: skip
_CHANGED = {"allOf": [_REF, {"type": "object", "properties": {"renamed": {"$ref": "#/components/schemas/"
                                                                                  "RequestTypeRenamed"}}}]}  # fmt: skip
PATHS: dict[str, Any] = {
    "/api/v1/request-types": {
        "get": {
            "summary": "The request catalogue: what people may ask for on the help centre, active ones first",
            "operationId": "listRequestTypes",
            "responses": {"200": answer({"type": "array", "items": _REF}, "Active by position, then retired."),
                          **errors(401)},
        },
        "post": {
            "summary": "Add a request type (admin tokens; audited)",
            "operationId": "addRequestType",
            "requestBody": body(_object(["name", "summary"])),
            "responses": {"201": answer(_REF, "Added."), "400": error(_BAD), **errors(401, 403, 503)},
        },
    },
    "/api/v1/request-types/{id}": {
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"},
                        "description": "The request type's id, as the list gives it."}],
        "patch": {
            "summary": "Change, retire (`active: false`) or restore a request type (admin tokens; audited)",
            "operationId": "changeRequestType",
            "requestBody": body(_object()),
            "responses": {"200": answer(_CHANGED, "As it is now; after a rename, what became of the rules."),
                          "400": error(_BAD), **errors(401, 403, 404, 503)},
        },
    },
}  # fmt: skip
SCHEMAS = {"RequestType": REQUEST_TYPE, "RequestQuestion": QUESTION, "RequestTypeRenamed": RENAMED}
