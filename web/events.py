"""`POST /api/v1/events/<integration>`: the hot path where monitoring tools post alerts.

The order is deliberate and cheapest-first: refuse oversized bodies before reading them, authenticate (one
indexed read, kept for a second) before parsing anything, parse (a body that does not parse is kept as an
`unprocessable` event and answered 400), then store and apply in the intake's single transaction. Only after
that commits does the sender get a 2xx; a storage fault propagates to the app's handler, which answers 503 with
Retry-After so the sender tries again.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from hub.intake import Raw
from ingest.errors import InvalidPayload
from ingest.webhooks.generic import normalise, parse_json
from web.responses import bearer_token, json_error, json_response, unauthorized
from web.services import services

bp = Blueprint("events", __name__, url_prefix="/api/v1/events")

# One message whatever was wrong (no header, wrong secret, unknown or disabled integration), so the answer does
# not tell a prober which integration names exist.
BAD_CREDENTIALS = "missing or invalid credentials: send 'Authorization: Bearer <integration secret>'"
_CONTENT_TYPE_MAX = 100  # the width of events.content_type


@bp.post("/<name>")
def receive(name: str) -> Response:
    """Store one generic JSON event and answer what became of it."""
    svc = services()
    limit = svc.settings.max_event_bytes
    if request.content_length is not None and request.content_length > limit:
        return json_error(413, f"the event body is larger than the limit of {limit} bytes")

    secret = bearer_token(request)
    if secret is None:
        return unauthorized(BAD_CREDENTIALS)
    integration = svc.integrations.authenticate(name, secret)
    if integration is None:
        return unauthorized(BAD_CREDENTIALS)
    integration_id = integration.id

    body = request.get_data(cache=False)  # a chunked body over the limit raises 413 here
    content_type = (request.content_type or "application/json")[:_CONTENT_TYPE_MAX]
    raw = Raw(source="generic", content_type=content_type, body=body, integration_id=integration_id)
    try:
        event = normalise(parse_json(body), integration=name)
    except InvalidPayload as exc:
        # The sender's fault, answered with what to fix; the body is kept with the reason (nothing an
        # authenticated source sends is dropped), so it can be looked at and replayed once the tool is fixed.
        svc.intake.record_unprocessable(raw, str(exc))
        return json_error(400, str(exc))

    outcome = svc.intake.record(raw, event)
    return json_response(
        {
            "status": "accepted",
            "event_id": outcome.event_id,
            "incident": outcome.ref,
            "incident_status": outcome.incident_status,
            "occurrences": outcome.occurrences,
            "created": outcome.created,
        },
        202,
    )
