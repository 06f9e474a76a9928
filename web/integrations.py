"""The integration pages: every monitoring source, and for each the last payloads it sent with what became of
them, so an admin wiring up a tool sees at once whether its alerts arrive and why one was refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SubmitField, TextAreaField

from hub.accounts import configure_integration
from hub.errors import BadInput
from hub.models import Event, Integration
from ingest.errors import InvalidPayload
from ingest.webhooks import mapping as webhook_mapping
from web.permissions import MANAGE_INTEGRATIONS, VIEW_INTEGRATIONS, requires
from web.services import services

bp = Blueprint("integrations", __name__, url_prefix="/integrations")

RECENT = 50
PREVIEW_COUNT = 5
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


class MappingForm(FlaskForm):
    mapping = TextAreaField("Mapping (JSON of field: JMESPath expression)")
    preview = SubmitField("Preview on the last payloads")
    save = SubmitField("Save")


@bp.get("/<name>")
@requires(VIEW_INTEGRATIONS)
def detail(name: str) -> ResponseReturnValue:
    return _render(name, MappingForm())


@bp.post("/<name>/mapping")
@requires(MANAGE_INTEGRATIONS)
def edit_mapping(name: str) -> ResponseReturnValue:
    """Preview a mapping on the stored payloads, or save it (an empty mapping clears it)."""
    form = MappingForm()
    if not form.validate_on_submit():
        abort(400)
    text = (form.mapping.data or "").strip()
    try:
        spec = webhook_mapping.check(json.loads(text)) if text else None
    except (ValueError, InvalidPayload) as exc:
        return _render(name, form, error=f"This mapping cannot be used: {exc}")
    if form.save.data:
        try:
            with services().db.transaction() as session:
                configure_integration(session, name, mapping=spec)
        except BadInput as exc:
            return _render(name, form, error=str(exc))
        services().integrations.forget(name)
        flash("Mapping saved; every web process uses it within a second." if spec else "Mapping removed.", "success")
        return redirect(url_for("integrations.detail", name=name))
    return _render(name, form, trial_of=spec)


def _render(
    name: str, form: MappingForm, *, error: str | None = None, trial_of: dict[str, Any] | None = None
) -> ResponseReturnValue:
    with services().db.read() as session:
        integration = session.scalar(select(Integration).where(Integration.name == name))
        if integration is None:
            abort(404, description=f"There is no integration {name}.")
        events = session.scalars(
            select(Event).where(Event.integration_id == integration.id).order_by(Event.id.desc()).limit(RECENT)
        ).all()
        payloads = [_payload(e) for e in events]
        bodies = [e.raw for e in events[:PREVIEW_COUNT]]
    if request.method == "GET" and integration.mapping:
        form.mapping.data = json.dumps(integration.mapping, indent=2)
    trials = webhook_mapping.trial(trial_of, bodies, integration=name) if trial_of else None
    endpoint = ENDPOINTS.get(integration.kind, f"/api/v1/events/{integration.name}")
    return render_template(
        "integrations/detail.html",
        integration=integration,
        payloads=payloads,
        recent=RECENT,
        url=request.host_url.rstrip("/") + endpoint,
        form=form,
        error=error,
        trials=trials,
    )


def _payload(event: Event) -> Payload:
    body = event.raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")
    return Payload(event.id, event.received_at, event.status, event.error, event.incident_id, body,
                   len(event.raw) > PREVIEW_BYTES)  # fmt: skip
