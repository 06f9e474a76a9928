"""What an admin changes on an integration's page: its settings, whether it is on, its heartbeats, and removing it.

Each does what `switchboard integration set|remove` and `switchboard heartbeat add|remove` do, through the same hub
functions and audit actions, as the person acting (web/acting.py), so the page and the command line never differ.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from hub import audit, heartbeats, integration_settings
from hub.accounts import configure_integration, integration_named, remove_integration
from hub.durations import describe_duration
from hub.errors import BadInput
from web.acting import acting_db
from web.catalogue import saved
from web.forms import ActionForm, place_mistakes
from web.integration_forms import HeartbeatForm, SettingsForm
from web.integrations import MappingForm, render_page
from web.permissions import MANAGE_INTEGRATIONS, requires
from web.responses import sentence
from web.services import services
from web.webhooks import refused_while_disabled

bp = Blueprint("integration_settings", __name__, url_prefix="/integrations")


@bp.post("/<name>/settings")
@requires(MANAGE_INTEGRATIONS)
def save(name: str) -> ResponseReturnValue:
    """Save the settings form: every field read as the CLI reads it, a mistake shown beside its field."""
    form = SettingsForm()

    def work(session: Session) -> tuple[str, None]:
        changes: dict[str, Any] = integration_settings.read_all(
            {key: form[key].data or "" for key in integration_settings.LABELS})  # fmt: skip
        before = integration_settings.typed(integration_named(session, name))
        after = integration_settings.typed(configure_integration(session, name, **changes))
        said = integration_settings.changes(before, after)
        if not said:
            return "Nothing changed.", None
        audit.record(session, current_user.email, "integration.configure", name,
                     **{key: changes[key] for key in changes if before[key] != after[key]})  # fmt: skip
        return f"Saved: {'; '.join(said)}. Every web process uses them within a second.", None

    if form.validate_on_submit() and saved(form, work):
        services().integrations.forget(name)
        return _back(name)
    return render_page(name, MappingForm(), settings=form)


@bp.post("/<name>/enabled")
@requires(MANAGE_INTEGRATIONS)
def switch(name: str) -> ResponseReturnValue:
    """Accept (`enabled=yes`) or refuse (`no`) the integration's events, audited as `integration set --enable`."""
    if not ActionForm().validate_on_submit() or request.form.get("enabled") not in ("yes", "no"):
        abort(400)
    enabled = request.form["enabled"] == "yes"
    try:
        with acting_db().transaction() as session:
            kind = configure_integration(session, name, enabled=enabled).kind
            audit.record(session, current_user.email, "integration.configure", name, enabled=enabled)
    except BadInput as exc:
        abort(404, description=sentence(str(exc)))
    services().integrations.forget(name)
    if enabled:
        flash(f"{name} is enabled: its events are accepted again.", "success")
    else:
        refused = refused_while_disabled(kind)
        flash(f"{name} is disabled: its events are refused with {refused} and its heartbeats raise nothing; its "
              "incidents and history stay.", "success")  # fmt: skip
    return _back(name)


@bp.post("/<name>/remove")
@requires(MANAGE_INTEGRATIONS)
def remove(name: str) -> ResponseReturnValue:
    """Remove an integration nothing recorded refers to (hub/accounts.py::remove_integration says why not)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with acting_db().transaction() as session:
            remove_integration(session, name)
            audit.record(session, current_user.email, "integration.remove", name)
    except BadInput as exc:
        flash(f"Nothing removed: {exc}.", "error")
        return _back(name)
    services().integrations.forget(name)
    flash(f"Integration {name} removed.", "success")
    return redirect(url_for("integrations.index"), code=303)


@bp.post("/<name>/heartbeats")
@requires(MANAGE_INTEGRATIONS)
def add_heartbeat(name: str) -> ResponseReturnValue:
    """`switchboard heartbeat add` from the page; a refusal re-shows the form with what was typed."""
    form = HeartbeatForm()
    if form.validate_on_submit():
        every = form.every.data or ""
        try:
            with acting_db().transaction() as session:
                made = heartbeats.add(session, name, form.heartbeat.data or "", every)
                audit.record(session, current_user.email, "heartbeat.add", f"{name}/{made.name}", every=every)
        except BadInput as exc:
            place_mistakes(form, exc, {"name": "heartbeat"})
        else:
            flash(f"Heartbeat {made.name} added: a ping every {describe_duration(made.interval)}, the first due "
                  "from now; a late one raises an incident.", "success")  # fmt: skip
            return _back(name, "heartbeats")
    return render_page(name, MappingForm(), beat_form=form)


@bp.post("/<name>/heartbeats/remove")
@requires(MANAGE_INTEGRATIONS)
def remove_heartbeat(name: str) -> ResponseReturnValue:
    """`switchboard heartbeat remove` from the page (the heartbeat named in the form: a name may hold a slash)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    beat = request.form.get("heartbeat", "")
    try:
        with acting_db().transaction() as session:
            heartbeats.remove(session, name, beat)
            audit.record(session, current_user.email, "heartbeat.remove", f"{name}/{beat}")
    except BadInput as exc:
        flash(f"Nothing removed: {exc}.", "error")
    else:
        flash(f"Heartbeat {beat} removed; an incident it raised stays, to be resolved by hand.", "success")
    return _back(name, "heartbeats")


def _back(name: str, anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for("integrations.detail", name=name, _anchor=anchor), code=303)
