"""`POST /api/v1/events/<integration>`: the hot path where every kind of monitoring tool posts alerts.

The order is deliberate and cheapest-first: refuse oversized bodies before reading them, find the integration
(404 when there is none) and check its secret (401) before parsing anything, parse with the normaliser of the
integration's kind (a body that does not parse is kept as an `unprocessable` event and answered 400 naming the
problem), then store and apply every event of the request in the intake's one transaction. Only after that
commits does the sender get a 2xx; a storage fault reaches the app's handler, which answers 503 with
Retry-After so the sender tries again.

The secret comes as `Authorization: Bearer <secret>`, or, for tools that cannot set headers, as `?secret=`.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from ingest.errors import InvalidPayload
from ingest.webhooks import grafana
from ingest.webhooks.generic import parse_json
from ingest.webhooks.kinds import CHANGE_KINDS, normalise
from web.responses import json_error, json_response, unauthorized
from web.services import services
from web.webhooks import (
    admit,
    body_limit,
    outcome_json,
    over_the_limit,
    raw_of,
    read_body,
    store,
    store_deploy,
    too_large,
)

bp = Blueprint("events", __name__, url_prefix="/api/v1/events")


@bp.post("/<name>")
def receive(name: str) -> Response:
    """Store the events in one request and answer what became of them."""
    svc = services()
    found = svc.integrations.find(name)
    limit = body_limit(svc, found.kind if found is not None else None)
    if (problem := too_large(request, limit)) is not None:
        return json_error(413, problem)
    integration = admit(request, svc, name, found)  # found once: the body's limit and the door both need it
    if isinstance(integration, Response):
        return integration

    if (body := read_body(request, limit)) is None:  # a chunked body, whose size is known only once read
        return json_error(413, over_the_limit(limit))
    if integration.kind == "grafana" and (problem := _grafana_signature_problem(name, body)) is not None:
        return unauthorized(problem)
    raw = raw_of(request, body, integration)
    try:
        payload = parse_json(body)
        if integration.kind in CHANGE_KINDS:  # deploys are recorded as changes and never open incidents
            return json_response(store_deploy(svc, integration, raw, payload), 202)
        events = normalise(integration.kind, payload, integration=name, mapping_spec=integration.mapping)
    except InvalidPayload as exc:
        # The sender's fault, answered with what to fix; the body is kept with the reason (nothing an
        # authenticated source sends is dropped), so it can be looked at and replayed once the tool is fixed.
        svc.intake.record_unprocessable(raw, str(exc))
        return json_error(400, str(exc))

    if not events:
        svc.intake.record_ignored(raw, f"the {integration.kind} payload holds no alert to act on")
    outcomes = store(svc, integration, raw, events, payload) if events else []
    if integration.kind == "generic" and len(outcomes) == 1:
        return json_response({"status": "accepted", **outcome_json(outcomes[0])}, 202)
    return json_response({"status": "accepted", "events": [outcome_json(o) for o in outcomes]}, 202)


def _grafana_signature_problem(name: str, body: bytes) -> str | None:
    """What is wrong with Grafana's optional HMAC, checked when Grafana sends a signature, on top of the bearer
    secret (None: nothing, or no signature sent)."""
    signature = next((request.headers[h] for h in grafana.SIGNATURE_HEADERS if h in request.headers), None)
    if signature is None:
        return None
    key = services().integrations.signing_key(name)
    timestamp = request.headers.get("X-Grafana-Alerting-Timestamp") or request.headers.get("X-Grafana-Alert-Timestamp")
    return grafana.signature_problem(body, key or "", signature, timestamp, time.time())
