"""`POST /v2/enqueue` and `/v2/change/enqueue`: PagerDuty Events API v2, so a tool that pages PagerDuty (or reports
its changes to it) sends to Switchboard by changing only its base URL. The integration is found by the event's
`routing_key`, else the `X-Routing-Key` header (the integration's secret: a `pagerduty` integration for alerts, a
`deploy` one for changes), and the answers have PagerDuty's shapes: 202 `{"status": "success", "message": "Event
processed", "dedup_key": ...}`, 400 `{"status": "invalid event", "message": ..., "errors": [...]}`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from flask import Blueprint, Response, request

from hub.accounts import IntegrationRef
from hub.deploys import record_deploy
from hub.intake import Raw
from ingest.errors import InvalidPayload
from ingest.webhooks import pagerduty
from ingest.webhooks.generic import parse_json
from web.responses import json_response
from web.services import Services, services
from web.webhooks import body_limit, over_limit, over_the_limit, raw_of, read_body, store, too_large

bp = Blueprint("pagerduty", __name__)

T = TypeVar("T")


def _invalid(status: int, message: str, errors: list[str]) -> Response:
    return json_response({"status": "invalid event", "message": message, "errors": errors}, status)


@bp.post("/v2/enqueue")
def enqueue() -> Response:
    """Accept one PagerDuty event: trigger, acknowledge or resolve."""
    found = _read_event("pagerduty", "PagerDuty", lambda payload, name: pagerduty.normalise(payload, integration=name))
    if isinstance(found, Response):
        return found
    svc, integration, raw, payload, events = found
    # As PagerDuty does: a trigger without a dedup_key gets one, returned so the sender can resolve it later.
    events = [e if e.dedup_key else replace(e, dedup_key=uuid.uuid4().hex) for e in events]
    store(svc, integration, raw, events, payload)
    return json_response({"status": "success", "message": "Event processed", "dedup_key": events[0].dedup_key}, 202)


@bp.post("/v2/change/enqueue")
def change_enqueue() -> Response:
    """Accept one PagerDuty change event (a deploy, a config change) for a `deploy` integration: it is recorded
    as a carried-out change, which incidents are then correlated with."""
    found = _read_event("deploy", "deploy", lambda payload, _: pagerduty.normalise_change(payload))
    if isinstance(found, Response):
        return found
    svc, integration, raw, _, deploy = found
    record_deploy(svc.db, raw, deploy, integration=integration.name)
    return json_response({"status": "success", "message": "Change event processed"}, 202)


def _read_event(
    kind: str, described: str, read: Callable[[Any, str], T]
) -> tuple[Services, IntegrationRef, Raw, Any, T] | Response:
    """The integration of `kind` the request's `routing_key` names, the request as received, its JSON and what
    `read(payload, integration name)` makes of it; else PagerDuty's answer why not (an invalid event is kept).
    `read` checks the event once and raises InvalidEvent with every problem."""
    svc = services()
    limit = body_limit(svc, kind)
    if (problem := too_large(request, limit)) is not None:
        return _invalid(413, "Request entity too large", [problem])
    if (body := read_body(request, limit)) is None:
        return _invalid(413, "Request entity too large", [over_the_limit(limit)])
    try:
        payload: Any = parse_json(body)
    except InvalidPayload as exc:
        return _invalid(400, "Event object is invalid", [str(exc)])
    key = payload.get("routing_key") if isinstance(payload, dict) else None
    if not isinstance(key, str) or not key.strip():
        # PagerDuty also takes the key in this header, which some senders use instead (pdpyras' EventsAPISession).
        key = request.headers.get("X-Routing-Key", "")
    if not key.strip():
        return _invalid(400, "Event object is invalid", [
            "'routing_key' is missing or blank: send the integration secret as routing_key (or X-Routing-Key)"
        ])  # fmt: skip
    integration = svc.integrations.by_secret(key.strip())
    if integration is None or integration.kind != kind:
        return _invalid(401, "Invalid routing key", [
            f"'routing_key' is not the key of a {described} integration here: use the secret "
            f"`switchboard integration create --kind {kind} --name NAME` printed"
        ])  # fmt: skip
    if (limited := over_limit(svc, integration)) is not None:
        message, headers = limited
        response = json_response({"status": "throttle event", "message": message}, 429)
        response.headers.update(headers)
        return response
    raw = raw_of(request, body, integration)
    try:
        value = read(payload, integration.name)
    except pagerduty.InvalidEvent as exc:
        svc.intake.record_unprocessable(raw, "; ".join(exc.errors))
        return _invalid(400, "Event object is invalid", list(exc.errors))
    return svc, integration, raw, payload, value
