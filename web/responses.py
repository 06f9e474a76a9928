"""JSON answers and bearer credentials shared by the API blueprints."""

from __future__ import annotations

from flask import Request, Response, current_app

#: Seconds a sender should wait before retrying when we could not store its request.
RETRY_AFTER = "5"


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response: Response = current_app.json.response(body)  # type: ignore[assignment]  # it is the app's class
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """`{"error": message}`: every API failure has this one shape, so clients need one parser."""
    return json_response({"error": message}, status, headers)


def unauthorized(message: str) -> Response:
    return json_error(401, message, {"WWW-Authenticate": "Bearer"})


def storage_unavailable() -> Response:
    """Nothing was committed: tell the sender to retry rather than acknowledge what we may have lost."""
    return json_error(
        503, "storage is temporarily unavailable; nothing was stored, retry later", {"Retry-After": RETRY_AFTER}
    )


def bearer_token(request: Request) -> str | None:
    """The credential in `Authorization: Bearer <token>`, or None when the header is missing or another scheme."""
    return authorization(request, "bearer")


def authorization(request: Request, scheme: str) -> str | None:
    """The credential in `Authorization: <scheme> <token>` (scheme case-insensitive), or None."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    given, _, token = header.partition(" ")
    token = token.strip()
    if given.lower() != scheme.lower() or not token:
        return None
    return token
