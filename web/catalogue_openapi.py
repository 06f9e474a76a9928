"""The service catalogue's part of the OpenAPI document (web/services_api.py, web/sla_api.py): its paths and
schemas, which web/openapi.py gathers with the rest."""

from __future__ import annotations

from typing import Any

from hub.domain import INCIDENT_KINDS
from hub.names import NAME_WIDTH
from web.catalogue_forms import DESCRIPTION_WIDTH
from web.openapi_parts import answer, body, error, errors

_TEXT_OR_NULL = {"type": ["string", "null"]}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_NAMES = {"type": "array", "items": {"type": "string"}}
_TARGET = {"type": ["string", "null"], "description": "Business time as typed: 30m, 4h, 3d, 1w; null: no such clock.",
           "examples": ["4h"]}  # fmt: skip
_POLICY_KIND = {"type": ["string", "null"], "enum": [*INCIDENT_KINDS, None],
                "description": "Only incidents or only service requests; null: both."}  # fmt: skip
_REPLANNED = {
    "type": "object",
    "description": "What the change did to the unresolved incidents whose clocks ran under it (PATCH only).",
    "required": ["moved", "kept", "stopped"],
    "properties": {
        "moved": {"type": "integer", "minimum": 0, "description": "Re-planned: their due times moved."},
        "kept": {"type": "integer", "minimum": 0, "description": "Kept their due times."},
        "stopped": {"type": "integer", "minimum": 0, "description": "Left without clocks: no policy fits them now."},
    },
}

SERVICE = {
    "type": "object",
    "required": ["name", "owner_group", "major_group", "public", "description", "unresolved", "policies"],
    "properties": {
        "name": {"type": "string"},
        "owner_group": {**_TEXT_OR_NULL, "description": "Takes the incidents on it no rule assigns."},
        "major_group": {**_TEXT_OR_NULL, "description": "Paged for its major incidents; null: the installation's."},
        "public": {"type": "boolean", "description": "Shown on the public status page."},
        "description": {"type": "string"},
        "unresolved": {**_COUNTS, "description": "Its unresolved incidents by status, statuses with none left out."},
        "policies": {**_NAMES, "description": "The SLA policies naming it."},
        "warnings": {**_NAMES, "description": "Adding or changing: the groups it names that do not exist yet."},
        "renamed": {
            "type": "object",
            "description": "Renamed by this change: what followed (`moved`, rows by kind), and the rules and silences "
            "that still test an event's `service` label for the old name.",
            "properties": {
                "from": {"type": "string"},
                "moved": _COUNTS,
                "subscribers": {"type": "integer", "minimum": 0},
                "rules": {**_NAMES, "description": "The rules that now set the new name."},
                "testing_rules": _NAMES,
                "silences": {"type": "array", "items": {"type": "integer"}},
            },
        },
    },
}
_SERVICE_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": NAME_WIDTH, "examples": ["mail"]},
    "owner_group": {**_TEXT_OR_NULL, "examples": ["messaging"]},
    "major_group": {**_TEXT_OR_NULL, "examples": ["mail-mim"]},
    "public": {"type": "boolean"},
    "description": {"type": ["string", "null"], "maxLength": DESCRIPTION_WIDTH},
}
POLICY = {
    "type": "object",
    "required": [
        "id",
        "name",
        "priority",
        "first_response",
        "next_update",
        "resolution",
        "calendar",
        "service",
        "category",
        "organisation",
        "kind",
        "warn_at",
        "running",
    ],
    "properties": {
        "id": {"type": "integer", "description": "What /api/v1/sla-policies/{id} names; a rename keeps it."},
        "name": {"type": "string"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "first_response": _TARGET,
        "next_update": _TARGET,
        "resolution": _TARGET,
        "calendar": {**_TEXT_OR_NULL, "description": "The calendar its clocks run on; null: 24x7 UTC."},
        "service": {**_TEXT_OR_NULL, "description": "Only incidents of this service; null: every one."},
        "category": _TEXT_OR_NULL,
        "organisation": _TEXT_OR_NULL,
        "kind": _POLICY_KIND,
        "warn_at": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "running": {"type": "integer", "minimum": 0, "description": "Unresolved incidents it runs clocks for."},
        "replanned": _REPLANNED,
    },
}
_POLICY_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": NAME_WIDTH, "examples": ["P1 mail"]},
    "priority": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 5}, {"type": "string", "examples": ["P1"]}]},
    "first_response": _TARGET,
    "next_update": _TARGET,
    "resolution": _TARGET,
    "calendar": _TEXT_OR_NULL,
    "service": _TEXT_OR_NULL,
    "category": _TEXT_OR_NULL,
    "organisation": _TEXT_OR_NULL,
    "kind": {**_TEXT_OR_NULL, "description": 'incident or request; null or "": both.', "examples": ["request"]},
    "warn_at": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.75},
}
CALENDAR = {
    "type": "object",
    "required": ["name", "tz", "hours", "holidays", "dates", "policies"],
    "properties": {
        "name": {"type": "string"},
        "tz": {"type": "string", "examples": ["Europe/Berlin"]},
        "hours": {"type": "string", "examples": ["mon-fri 09:00-17:00; sat 10:00-14:00", "24x7"]},
        "holidays": {**_TEXT_OR_NULL, "description": "Public holidays of a country or region.", "examples": ["DE-BE"]},
        "dates": {"type": "array", "items": {"type": "string", "format": "date"}, "description": "More closed days."},
        "policies": {**_NAMES, "description": "The SLA policies whose clocks run on it."},
        "replanned": _REPLANNED,
    },
}
_CALENDAR_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": NAME_WIDTH, "examples": ["office-berlin"]},
    "tz": {"type": "string", "examples": ["Europe/Berlin"]},
    "hours": {"type": "string", "examples": ["mon-fri 09:00-17:00"]},
    "holidays": {**_TEXT_OR_NULL, "examples": ["DE-BE"]},
    "dates": {"type": "array", "items": {"type": "string", "format": "date"}},
}


def _name_in_path(what: str) -> dict[str, Any]:
    return {"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
            "description": f'The {what}\'s name; one holding "/" is the rest of the path.'}  # fmt: skip


def _object(fields: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": fields, "additionalProperties": False, "minProperties": 1,
            **({"required": required} if required else {})}  # fmt: skip


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _removed(**counts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["removed", *counts], "properties": {"removed": {"type": "string"}, **counts}}


_ADMINS = " (admin tokens; audited as the /services page's change)"
_BAD = "A mistake; `field` names the field at fault."
PATHS: dict[str, Any] = {
    "/api/v1/services": {
        "get": {
            "summary": "The service catalogue: every service, its unresolved incidents and the policies naming it",
            "operationId": "listServices",
            "responses": {"200": answer({"type": "array", "items": _ref("Service")}, "By name."), **errors(401)},
        },
        "post": {
            "summary": "Add a service" + _ADMINS,
            "operationId": "addService",
            "requestBody": body(_object(_SERVICE_FIELDS, ["name"])),
            "responses": {"201": answer(_ref("Service"), "Added."), "400": error(_BAD), **errors(401, 403, 503)},
        },
    },
    "/api/v1/services/{name}": {
        "parameters": [_name_in_path("service")],
        "get": {
            "summary": "One service",
            "operationId": "getService",
            "responses": {"200": answer(_ref("Service"), "The service."), **errors(401, 404)},
        },
        "patch": {
            "summary": "Change a service; a `name` other than its own renames it everywhere it is named" + _ADMINS,
            "operationId": "changeService",
            "requestBody": body(_object(_SERVICE_FIELDS)),
            "responses": {
                "200": answer(_ref("Service"), "As it is now."),
                "400": error(_BAD),
                **errors(401, 403, 404, 503),
            },
        },
        "delete": {
            "summary": "Remove a service nothing live names" + _ADMINS,
            "operationId": "removeService",
            "responses": {
                "200": answer(
                    _removed(cleared=_COUNTS, subscribers={"type": "integer"}, kept=_COUNTS),
                    "Removed: what no longer names it, and the records keeping its name.",
                ),
                "409": error("Unresolved incidents, SLA policies or rules that set it still name it (which: `error`)."),
                **errors(401, 403, 404, 503),
            },
        },
    },
    "/api/v1/sla-policies": {
        "get": {
            "summary": "Every SLA policy, by priority then name",
            "operationId": "listSlaPolicies",
            "responses": {"200": answer({"type": "array", "items": _ref("SlaPolicy")}, "Policies."), **errors(401)},
        },
        "post": {
            "summary": "Add an SLA policy" + _ADMINS,
            "operationId": "addSlaPolicy",
            "requestBody": body(_object(_POLICY_FIELDS, ["name", "priority"])),
            "responses": {"201": answer(_ref("SlaPolicy"), "Added."), "400": error(_BAD), **errors(401, 403, 503)},
        },
    },
    "/api/v1/sla-policies/{id}": {
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer"},
                "description": "The policy's id, as the list gives it.",
            }
        ],
        "get": {
            "summary": "One SLA policy",
            "operationId": "getSlaPolicy",
            "responses": {"200": answer(_ref("SlaPolicy"), "The policy."), **errors(401, 404)},
        },
        "patch": {
            "summary": "Change an SLA policy and re-plan the clocks it runs" + _ADMINS,
            "operationId": "changeSlaPolicy",
            "requestBody": body(_object(_POLICY_FIELDS)),
            "responses": {
                "200": answer(_ref("SlaPolicy"), "As it is now, with `replanned`."),
                "400": error(_BAD),
                **errors(401, 403, 404, 503),
            },
        },
        "delete": {
            "summary": "Remove an SLA policy, re-planning the clocks it ran under the policy that fits" + _ADMINS,
            "operationId": "removeSlaPolicy",
            "responses": {
                "200": answer(_removed(replanned={"type": "integer"}, stopped={"type": "integer"}), "Removed."),
                **errors(401, 403, 404, 503),
            },
        },
    },
    "/api/v1/calendars": {
        "get": {
            "summary": "Every business calendar, by name",
            "operationId": "listCalendars",
            "responses": {"200": answer({"type": "array", "items": _ref("Calendar")}, "Calendars."), **errors(401)},
        },
        "post": {
            "summary": "Add a business calendar" + _ADMINS,
            "operationId": "addCalendar",
            "requestBody": body(_object(_CALENDAR_FIELDS, ["name", "tz", "hours"])),
            "responses": {"201": answer(_ref("Calendar"), "Added."), "400": error(_BAD), **errors(401, 403, 503)},
        },
    },
    "/api/v1/calendars/{name}": {
        "parameters": [_name_in_path("calendar")],
        "get": {
            "summary": "One business calendar",
            "operationId": "getCalendar",
            "responses": {"200": answer(_ref("Calendar"), "The calendar."), **errors(401, 404)},
        },
        "patch": {
            "summary": "Change a calendar and re-plan the clocks running on it" + _ADMINS,
            "operationId": "changeCalendar",
            "requestBody": body(_object(_CALENDAR_FIELDS)),
            "responses": {
                "200": answer(_ref("Calendar"), "As it is now, with `replanned`."),
                "400": error(_BAD),
                **errors(401, 403, 404, 503),
            },
        },
        "delete": {
            "summary": "Remove a calendar no policy runs on" + _ADMINS,
            "operationId": "removeCalendar",
            "responses": {
                "200": answer(_removed(), "Removed."),
                "409": error("SLA policies run on it (named in `error`)."),
                **errors(401, 403, 404, 503),
            },
        },
    },
}
SCHEMAS = {"Service": SERVICE, "SlaPolicy": POLICY, "Calendar": CALENDAR}
