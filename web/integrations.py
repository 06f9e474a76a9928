"""The integration pages: every monitoring source, and for each the last payloads it sent with what became of
them, so an admin wiring up a tool sees at once whether its alerts arrive and why one was refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from hub.models import Event, Integration
from web.permissions import VIEW_INTEGRATIONS, requires
from web.services import services

bp = Blueprint("integrations", __name__, url_prefix="/integrations")

RECENT = 50
PREVIEW_BYTES = 4096

#: Where each kind of sender posts, relative to the hub's base URL.
ENDPOINTS = {"pagerduty": "/v2/enqueue", "opsgenie": "/v2/alerts"}


@dataclass(frozen=True)
class Payload:
    """One stored request as the page shows it: its outcome and the start of its body (escaped by Jinja)."""

    event_id: int
    received_at: datetime
    status: str
    error: str | None
    incident_id: int | None
    preview: str
    truncated: bool


@bp.get("")
@requires(VIEW_INTEGRATIONS)
def index() -> ResponseReturnValue:
    last_event = select(Event.integration_id, func.max(Event.received_at).label("last")).group_by(Event.integration_id)
    with services().db.read() as session:
        latest = {row.integration_id: row.last for row in session.execute(last_event)}
        rows = session.scalars(select(Integration).order_by(Integration.name)).all()
    return render_template("integrations/list.html", integrations=rows, latest=latest)


@bp.get("/<name>")
@requires(VIEW_INTEGRATIONS)
def detail(name: str) -> ResponseReturnValue:
    with services().db.read() as session:
        integration = session.scalar(select(Integration).where(Integration.name == name))
        if integration is None:
            abort(404, description=f"There is no integration {name}.")
        events = session.scalars(
            select(Event).where(Event.integration_id == integration.id).order_by(Event.id.desc()).limit(RECENT)
        ).all()
        payloads = [_payload(e) for e in events]
    endpoint = ENDPOINTS.get(integration.kind, f"/api/v1/events/{integration.name}")
    return render_template(
        "integrations/detail.html",
        integration=integration,
        payloads=payloads,
        recent=RECENT,
        url=request.host_url.rstrip("/") + endpoint,
    )


def _payload(event: Event) -> Payload:
    body = event.raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")
    return Payload(event.id, event.received_at, event.status, event.error, event.incident_id, body,
                   len(event.raw) > PREVIEW_BYTES)  # fmt: skip
