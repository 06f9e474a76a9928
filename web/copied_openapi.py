"""The part of the OpenAPI document for who is copied on an incident (web/copied_api.py), which web/openapi.py
gathers."""

from __future__ import annotations

from typing import Any

from hub.copied import MOST
from web.openapi_parts import answer, error, errors

_REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "example": "INC-1"}
_EMAIL = {"name": "email", "in": "path", "required": True, "schema": {"type": "string"},
          "example": "carl@example.com", "description": "The address of the person copied."}  # fmt: skip

COPIED = {
    "type": "object",
    "required": ["copied"],
    "properties": {
        "copied": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Who is copied now, in the order they were added (lower-cased).",
        }
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/incidents/{ref}/copied/{email}": {
        "parameters": [_REF, _EMAIL],
        "put": {
            "summary": "Copy someone on the conversation with the requester (agent or admin tokens)",
            "description": "Replies and the resolution mail go to them too, on Cc (docs/notifications.md); on the "
            "timeline with who added them, as the incident page's Copy someone box does. The same address again "
            "changes nothing.",
            "operationId": "copyOnIncident",
            "responses": {
                "200": answer(COPIED, "Who is copied now."),
                "400": error(
                    "The conversation cannot keep that address, saying why, in the incident page's words: not an "
                    "email address, the requester, one of the desk's own addresses or people, an automatic sender, "
                    f"erased on request, its mail bounced lately, or {MOST} people are copied already."
                ),
                **errors(401, 403, 404, 503),
            },
        },
        "delete": {
            "summary": "Stop copying someone on the conversation (agent or admin tokens)",
            "description": "The next mail goes without them, and copies still waiting in the outbox for them about "
            "this incident are discarded (each on the timeline). On the timeline with who removed them.",
            "operationId": "uncopyOnIncident",
            "responses": {
                "200": answer(COPIED, "Who is copied now."),
                "404": error("No such incident, or that address is not copied on it (the message names it)."),
                **errors(401, 403, 503),
            },
        },
    },
}
