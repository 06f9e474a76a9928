"""Logging an incident by hand: the service desk's agent takes a call (or a walk-in, or a chat) and records it.

The page and `POST /api/v1/incidents` (web/api.py) share `log_incident`: the fields become an event
(ingest/logged.py), stored as received and routed by the rules like an alert or an email, with the agent's own
choices winning; the requester, if given, is mailed the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from hub import assignees, cis
from hub.catalogue import services as catalogue_services
from hub.domain import INCIDENT_KINDS
from hub.errors import StorageUnavailable
from hub.intake import InvalidChoice, Outcome
from ingest import logged, logged_intake
from web.acting import acting_guard
from web.forms import ActionForm
from web.permissions import WORK_INCIDENTS, requires
from web.services import services

bp = Blueprint("new_incident", __name__)


def log_incident(fields: Mapping[str, Any], *, by: str, body: bytes | None = None) -> Outcome:
    """Record the incident `by` logged through this app's intake (ingest/logged_intake.py says what it raises),
    checking inside its write that whoever acts may still (web/acting.py; NoLongerAllowed if not)."""
    return logged_intake.log_incident(services().intake, fields, by=by, body=body, guard=acting_guard())


@bp.route("/incidents/new", methods=["GET", "POST"])
@requires(WORK_INCIDENTS)
def new() -> ResponseReturnValue:
    values: dict[str, Any] = {"channel": logged.CHANNELS[0], "kind": INCIDENT_KINDS[0], "acknowledge_requester": True}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        values = {name: request.form.get(name, "") for name in logged.FIELDS}
        values["acknowledge_requester"] = request.form.get("acknowledge_requester") == "on"  # unticked: absent
        try:
            outcome = log_incident(values, by=current_user.email)
        except logged.InvalidField as exc:
            errors[exc.field], status = str(exc), 400
        except InvalidChoice as exc:
            errors[exc.field], status = str(exc), 400
        except StorageUnavailable:
            errors["form"], status = "The database is busy; nothing was saved. Try again in a moment.", 503
        else:
            flash(_logged_message(outcome, values), "success")
            return redirect(url_for("incidents.detail", ref=outcome.ref), code=303)
    with services().db.read() as session:
        people = assignees.first_people(session.connection())
        groups = assignees.group_names(session.connection())
        known_services = [service.name for service in catalogue_services(session)]
        ci_names = cis.active_names(session)
    page = render_template("incidents/new.html", values=values, errors=errors, channels=logged.CHANNELS,
                           people=people, groups=groups, services=known_services, ci_names=ci_names)  # fmt: skip
    return page, status


def _logged_message(outcome: Outcome, values: Mapping[str, Any]) -> str:
    if not outcome.created:
        # A rule gave it the dedup key of an incident already open: one incident, one more occurrence.
        return f"Counted on {outcome.ref}, which was already open for the same thing."
    requester = str(values.get("requester") or "").strip().lower()
    return f"{outcome.ref} logged." + (f" {requester} is mailed its reference." if outcome.acknowledged else "")
