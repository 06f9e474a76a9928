"""`POST /api/v1/heartbeats/<integration>/<name>`: the ping a source promised (hub/heartbeats.py).

Admitted as the integration's events are (its secret, its rate limit: web/webhooks.admit); the body, if any, is
not read, so Alertmanager can send its Watchdog alert here as it is. A ping after a miss first resolves the
heartbeat's incident, then records the ping: a failure in between leaves the heartbeat missed, and the next ping
tries again. 202 only after the commit; 503 when storage is down.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from hub import heartbeats
from hub.errors import Missing
from hub.intake import Raw
from web.responses import json_error, json_response
from web.services import services
from web.webhooks import admit

bp = Blueprint("heartbeats", __name__, url_prefix="/api/v1/heartbeats")


@bp.post("/<integration>/<path:name>")
def ping(integration: str, name: str) -> Response:
    svc = services()
    found = admit(request, svc, integration, svc.integrations.find(integration))
    if isinstance(found, Response):
        return found
    try:
        with svc.db.read() as session:
            beat = heartbeats.find(session, integration, name)
    except Missing as exc:
        return json_error(404, str(exc))
    if beat.missed_at is not None:
        raw = Raw(source=found.kind, content_type="application/json", body=b'{"heartbeat": "ping"}',
                  integration_id=found.id)  # fmt: skip
        svc.intake.record(raw, heartbeats.back_event(beat), policy=found.policy)
    with svc.db.transaction() as session:
        beat = heartbeats.ping(session, beat)
    return json_response({"status": "accepted", "heartbeat": name, "integration": integration,
                          "next_due_at": beat.due_at.isoformat()}, 202)  # fmt: skip
