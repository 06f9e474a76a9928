"""The API tokens' part of the OpenAPI document (web/tokens_api.py), which web/openapi.py gathers."""

from __future__ import annotations

from typing import Any

from web.openapi_parts import answer, errors

_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}

TOKEN = {
    "type": "object",
    "required": ["name", "role", "created_at", "last_used_at", "expires_at", "owner"],
    "properties": {
        "name": {"type": "string", "examples": ["grafana-dashboard"]},
        "role": {"type": "string", "description": "A personal token's: its person's now."},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {**_TIME_OR_NULL, "description": "Written at most once a minute; null: never used."},
        "expires_at": {**_TIME_OR_NULL, "description": "Null: until revoked."},
        "owner": {"type": ["string", "null"], "description": "A personal token's person; null: the desk's."},
    },
}

SCHEMAS: dict[str, Any] = {"ApiToken": TOKEN}

PATHS: dict[str, Any] = {
    "/api/v1/tokens": {
        "get": {
            "summary": "Every API token (admin tokens)",
            "description": "Never a token's value: that is shown once, where it was made.",
            "operationId": "listTokens",
            "responses": {
                "200": answer({"type": "array", "items": {"$ref": "#/components/schemas/ApiToken"}}, "Tokens."),
                **errors(401, 403),
            },
        },
    },
    "/api/v1/tokens/{name}": {
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
        "delete": {
            "summary": "Revoke an API token now (admin tokens)",
            "description": "Its next request is a 401. Revoking the token the request is made with works too.",
            "operationId": "revokeToken",
            "responses": {
                "200": answer(
                    {"type": "object", "required": ["revoked"], "properties": {"revoked": {"type": "string"}}},
                    "The token's name.",
                ),
                **errors(401, 403, 404, 503),
            },
        },
    },
}
