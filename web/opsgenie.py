"""Opsgenie's Alert API, so Opsgenie senders switch by changing only the base URL: `POST /v2/alerts` creates,
`POST /v2/alerts/<alias>/close|acknowledge?identifierType=alias` close and acknowledge. The integration is the
one whose secret comes as `Authorization: GenieKey <secret>`; answers have Opsgenie's shape
(202 `{"result": "Request will be processed", "took": ..., "requestId": ...}`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from hub.domain import InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks import opsgenie
from ingest.webhooks.generic import parse_json
from web.responses import authorization, json_response
from web.services import services
from web.webhooks import body_limit, over_limit, over_the_limit, raw_of, read_body, store, too_large

bp = Blueprint("opsgenie", __name__, url_prefix="/v2/alerts")


def _answer(status: int, started: float, **fields: Any) -> Response:
    took = round(time.monotonic() - started, 3)
    return json_response({**fields, "took": took, "requestId": str(uuid.uuid4())}, status)


def _accept(make: Callable[[Any, str], list[InboundEvent]], *, body_required: bool) -> Response:
    started = time.monotonic()
    svc = services()
    limit = body_limit(svc, "opsgenie")
    if (problem := too_large(request, limit)) is not None:
        return _answer(413, started, message=problem)
    key = authorization(request, "GenieKey")
    integration = svc.integrations.by_secret(key) if key else None
    if integration is None or integration.kind != "opsgenie":
        return _answer(401, started, message="Could not authenticate: send 'Authorization: GenieKey <secret>' with "
                       "the secret `switchboard integration create --kind opsgenie --name NAME` printed")  # fmt: skip
    if (limited := over_limit(svc, integration)) is not None:
        message, headers = limited
        response = _answer(429, started, message=message)
        response.headers.update(headers)
        return response
    if (body := read_body(request, limit)) is None:
        return _answer(413, started, message=over_the_limit(limit))
    raw = raw_of(request, body, integration)
    try:
        payload = parse_json(body) if body.strip() or body_required else {}
        events = make(payload, integration.name)
    except InvalidPayload as exc:
        svc.intake.record_unprocessable(raw, str(exc))
        return _answer(400, started, message=str(exc))
    store(svc, integration, raw, events, payload)
    return _answer(202, started, result="Request will be processed")


@bp.post("")
def create() -> Response:
    """Create an alert (its alias is the dedup key)."""
    return _accept(lambda payload, name: opsgenie.normalise_create(payload, integration=name), body_required=True)


@bp.post("/<identifier>/close")
def close(identifier: str) -> Response:
    """Close the alert with this alias: resolves its incident."""
    kind = request.args.get("identifierType")
    return _accept(
        lambda payload, name: opsgenie.normalise_close(identifier, kind, payload, integration=name),
        body_required=False,
    )


@bp.post("/<identifier>/acknowledge")
def acknowledge(identifier: str) -> Response:
    """Acknowledge the alert with this alias."""
    kind = request.args.get("identifierType")
    return _accept(
        lambda payload, name: opsgenie.normalise_acknowledge(identifier, kind, payload, integration=name),
        body_required=False,
    )
