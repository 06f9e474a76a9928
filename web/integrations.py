"""The integration pages: every monitoring source, and for each the last payloads it sent with what became of
them, so an admin wiring up a tool sees at once whether its alerts arrive and why one was refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from hub import audit, heartbeats
from hub.accounts import configure_integration, create_integration, last_events, rotate_integration_secret
from hub.domain import INTEGRATION_KINDS
from hub.errors import BadInput
from hub.intake import Raw
from hub.integration_doors import NAME_USE
from hub.models import Event, Integration, utcnow
from ingest.errors import InvalidPayload
from ingest.webhooks import mapping as webhook_mapping
from ingest.webhooks import setup
from ingest.webhooks.kinds import CHANGE_KINDS, normalise, normalise_deploy
from web import shown_once
from web.acting import acting_db, acting_guard
from web.forms import ActionForm
from web.integration_forms import HeartbeatForm, SettingsForm
from web.permissions import MANAGE_INTEGRATIONS, VIEW_INTEGRATIONS, demand, requires
from web.services import services
from web.webhooks import refused_while_disabled, store_guarded

bp = Blueprint("integrations", __name__, url_prefix="/integrations")

RECENT = 50
PREVIEW_COUNT = 5
PREVIEW_BYTES = 4096


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


KIND_LABELS = {"generic": "Generic JSON (curl, scripts, any tool with a mapping)", "alertmanager": "Prometheus "
               "Alertmanager", "grafana": "Grafana alerting", "pagerduty": "PagerDuty Events v2 senders",
               "opsgenie": "Opsgenie Alert API senders", "zabbix": "Zabbix", "nagios": "Nagios / Icinga",
               "deploy": "Deployments (recorded as changes): generic JSON, GitHub, Argo CD"}  # fmt: skip


class NewIntegrationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)], description=NAME_USE)
    kind = SelectField("Sends", choices=[SelectChoice(k, KIND_LABELS.get(k, k)) for k in INTEGRATION_KINDS])


@bp.route("", methods=["GET", "POST"])
@requires(VIEW_INTEGRATIONS)
def index() -> ResponseReturnValue:
    form = NewIntegrationForm()
    error = None
    if request.method == "POST":
        demand(MANAGE_INTEGRATIONS)
        if form.validate_on_submit():
            name, kind = (form.name.data or "").strip(), form.kind.data or "generic"
            try:
                with acting_db().transaction() as session:
                    _, secret = create_integration(session, name=name, kind=kind)
                    audit.record(session, current_user.email, "integration.create", name, kind=kind)
            except BadInput as exc:
                error = str(exc)
            else:
                return _with_secret(name, secret, f"Integration {name} created.")
    with services().db.read() as session:
        latest = last_events(session)
        rows = session.scalars(select(Integration).order_by(Integration.name)).all()
    return render_template("integrations/list.html", integrations=rows, latest=latest, form=form, error=error)


@bp.post("/<name>/rotate")
@requires(MANAGE_INTEGRATIONS)
def rotate(name: str) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with acting_db().transaction() as session:
            secret = rotate_integration_secret(session, name)
            audit.record(session, current_user.email, "integration.rotate", name)
    except BadInput as exc:
        abort(404, description=str(exc))
    services().integrations.forget(name)
    return _with_secret(name, secret, "New secret made: the old one no longer works. Update the tool now.")


@bp.post("/<name>/test")
@requires(MANAGE_INTEGRATIONS)
def send_test(name: str) -> ResponseReturnValue:
    """Send the tool's own shape of test alert through the real path (normaliser, rules, intake, notifications),
    as the admin pressing the button: checked inside the write that they still may (web/acting.py). A deploy
    integration's sample is read and said, not recorded (docs/changes.md says why)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    svc = services()
    integration = svc.integrations.find(name)
    if integration is None:
        abort(404, description=f"There is no integration {name}.")
    payload = setup.sample(integration.kind)
    body = json.dumps(payload).encode()
    if integration.kind in CHANGE_KINDS:
        # Read, not recorded: a change says something changed, and every incident after it would list it among
        # the changes before it (hub/change_correlation.py), so a test one would mislead each reader of changes.
        deploy = normalise_deploy(payload, integration=name)
        words = deploy.as_test() if deploy is not None else "nothing (a superseded deployment)"
        flash(f"Test deploy read: your tool's deploys like it are recorded as {words}. Nothing was recorded, "
              "so no incident will list it among the changes before it.", "success")  # fmt: skip
        return redirect(url_for("integrations.detail", name=name))
    events = normalise(integration.kind, payload, integration=name)  # the tool's own shape, whatever the mapping
    raw = Raw(source=integration.kind, content_type="application/json", body=body, integration_id=integration.id)
    outcomes = store_guarded(svc, integration, raw, events, payload, acting_guard())
    refs = ", ".join(sorted({o.ref for o in outcomes if o.ref})) or "no incident (a rule or silence held it)"
    flash(f"Test alert stored: {refs}.", "success")
    return redirect(url_for("integrations.detail", name=name))


class MappingForm(FlaskForm):
    mapping = TextAreaField("Mapping (JSON of field: JMESPath expression)")
    preview = SubmitField("Preview on the last payloads")
    save = SubmitField("Save")


#: Which page a secret just made is kept for (web/shown_once.py), with the integration's name after it.
_SHOWN = "integration "


@bp.get("/<name>")
@requires(VIEW_INTEGRATIONS)
def detail(name: str) -> ResponseReturnValue:
    """The integration's page; once after it was made or its secret rotated, with the secret (web/shown_once.py)."""
    shown = shown_once.take(_SHOWN + name)
    if shown is None:
        return render_page(name, MappingForm())
    return shown_once.not_stored(make_response(render_page(name, MappingForm(), secret=shown.secret)))


def _with_secret(name: str, secret: str, message: str) -> ResponseReturnValue:
    """Off to the integration's page, which shows the secret once; a reload there sends no form again."""
    flash(message, "success")
    shown_once.keep(_SHOWN + name, name, secret)
    return redirect(url_for("integrations.detail", name=name), code=303)


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
    except (ValueError, InvalidPayload, RecursionError) as exc:
        return render_page(name, form, error=f"This mapping cannot be used: {exc}")
    if form.save.data:
        try:
            with acting_db().transaction() as session:
                configure_integration(session, name, mapping=spec)
                audit.record(session, current_user.email, "integration.mapping", name, mapping=spec)
        except BadInput as exc:
            return render_page(name, form, error=str(exc))
        services().integrations.forget(name)
        flash("Mapping saved; every web process uses it within a second." if spec else "Mapping removed.", "success")
        return redirect(url_for("integrations.detail", name=name))
    return render_page(name, form, trial_of=spec)


def render_page(
    name: str,
    form: MappingForm,
    *,
    error: str | None = None,
    trial_of: dict[str, Any] | None = None,
    secret: str | None = None,
    settings: SettingsForm | None = None,
    beat_form: HeartbeatForm | None = None,
) -> str:
    """The integration's page; the forms given (a refused one, with what was typed and why) in place of fresh ones."""
    with services().db.read() as session:
        integration = session.scalar(select(Integration).where(Integration.name == name))
        if integration is None:
            abort(404, description=f"There is no integration {name}.")
        events = session.scalars(
            select(Event).where(Event.integration_id == integration.id).order_by(Event.id.desc()).limit(RECENT)
        ).all()
        payloads = [_payload(e) for e in events]
        bodies = [e.raw for e in events[:PREVIEW_COUNT]]
        beats = heartbeats.listing(session, integration.name)
    if form.mapping.data is None and integration.mapping:  # not sent: a GET, or another form's POST shown again
        form.mapping.data = json.dumps(integration.mapping, indent=2)
    settings = settings or SettingsForm(formdata=None).fill(integration)
    trials = webhook_mapping.trial(trial_of, bodies, integration=name) if trial_of else None
    base_url = services().settings.public_url or request.host_url
    return render_template(
        "integrations/detail.html",
        integration=integration,
        payloads=payloads,
        beats=beats,
        now=utcnow(),
        recent=RECENT,
        url=base_url.rstrip("/") + setup.endpoint(integration.kind, integration.name),
        snippets=setup.snippets(integration.kind, base_url, integration.name, secret),
        secret=secret,
        action=ActionForm(),
        form=form,
        error=error,
        trials=trials,
        deploys=integration.kind in CHANGE_KINDS,
        settings=settings,
        beat_form=beat_form or HeartbeatForm(formdata=None),
        refused_while_disabled=refused_while_disabled(integration.kind),
    )


def _payload(event: Event) -> Payload:
    body = event.raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")
    return Payload(event.id, event.received_at, event.status, event.error, event.incident_id, body,
                   len(event.raw) > PREVIEW_BYTES)  # fmt: skip
