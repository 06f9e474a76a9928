"""The pieces the OpenAPI document (web/openapi.py) is written in: a JSON body, a JSON answer, the error answers.
Apart, so each part of the API can describe itself in its own module (web/catalogue_openapi.py) and web/openapi.py
gathers them."""

from __future__ import annotations

from typing import Any


def body(schema: dict[str, Any]) -> dict[str, Any]:
    """A required JSON request body."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def answer(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A JSON answer."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error(description: str) -> dict[str, Any]:
    """An error answer, `{"error": ...}`, meaning `description`."""
    return answer({"$ref": "#/components/schemas/Error"}, description)


def errors(*codes: int) -> dict[str, Any]:
    """The error answers `codes`, each with what it usually means."""
    meaning = {
        400: "The request is malformed; the message says what to fix.",
        401: "Missing or invalid API token.",
        403: "The token's role may not do this.",
        404: "Not found; the message names what is missing.",
        409: "The change does not fit the incident as it is now.",
        503: "Storage is unavailable; nothing changed, retry later.",
    }
    return {str(code): error(meaning[code]) for code in codes}
