"""JSON answers, times in JSON bodies and bearer credentials shared by the API blueprints, and the sentence a
hub's words become on a page."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from flask import Request, Response, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from hub.errors import BadInput
from ingest.errors import InvalidPayload
from ingest.webhooks.generic import parse_json

#: Seconds a sender should wait before retrying when we could not store its request.
RETRY_AFTER = "5"


class RequestJSON(DefaultJSONProvider):
    """The app's JSON: request bodies read as the webhooks read them, so one nested thousands of levels deep is a
    malformed body (400, or None with `silent=True`) rather than a RecursionError (500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return parse_json(s.encode() if isinstance(s, str) else s)
        except InvalidPayload as exc:
            raise ValueError(str(exc)) from None


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


def body_within(request: Request, limit: int, *, cache: bool = False) -> bytes | None:
    """The request's body, or None when it is over `limit` bytes.

    A chunked body (no Content-Length) is measured while read, and Werkzeug's limited stream stops quietly at the
    limit rather than refusing what lies beyond it: the sender would be told its cut-off JSON is malformed. So the
    body is read to one byte past the limit, and one that long is over it."""
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=cache)
    finally:
        request.max_content_length = limit  # what a 413's words name (web/errors.py)
    return None if len(body) > limit else body


def request_json() -> Any:
    """The body of an API write as `request.get_json(silent=True)` reads it (None when there is none, or it is
    malformed): a body sent as another type, or with no Content-Type, is a 400 naming the header to send (web/errors.py
    answers it as JSON), where `get_json` gives None and the view could only say "send a JSON object", leaving the
    sender to guess what was wrong with theirs. Not for the event and alert intake, which monitoring tools call with
    whatever type they send: those read the bytes whatever the header says."""
    if not request.is_json and (request.content_length or request.headers.get("Transfer-Encoding")):
        raise BadRequest(not_json(request.headers.get("Content-Type")))
    limit = request.max_content_length
    if limit is not None and request.content_length is None and body_within(request, limit, cache=True) is None:
        raise RequestEntityTooLarge()  # a chunked body over the limit: 413, not 400 for its cut-off JSON
    return request.get_json(silent=True)


def not_json(sent: str | None) -> str:
    """What to send instead of a body of type `sent` (None: the request named none)."""
    said = f"this request's was {sent[:100]!r}" if sent else "this request sent none"
    if sent and sent.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        said += " (curl -d sends that unless told: add -H 'Content-Type: application/json')"
    return f"send the body as JSON, with the header 'Content-Type: application/json'; {said}"


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


def body_time(body: dict[str, Any], key: str, zone: tzinfo | None) -> datetime | None:
    """`body[key]` as an ISO 8601 time (None if absent); one without an offset is read in `zone` (left naive when
    `zone` is None, for the caller to place), or BadInput naming the key."""
    value = body.get(key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadInput(f"'{key}' must be an ISO 8601 time such as 2026-11-26T18:00:00Z") from None
    return parsed if parsed.tzinfo or zone is None else parsed.replace(tzinfo=zone)


def sentence(text: str) -> str:
    """The hub's words (`there is no service 'Payroll'`) as a sentence on a page: the first letter raised, the rest
    kept as it is (str.capitalize would lower INC-42, names and addresses), and a full stop unless it already ends
    in one of .!?"""
    text = text.strip()
    if not text:
        return text
    return f"{text[:1].upper()}{text[1:]}{'' if text.endswith(('.', '!', '?')) else '.'}"
