"""The unprocessable events page (admins): messages we could not understand, with the error, and a button that
runs one through today's parser and the normal intake again (exactly once; ingest/reprocess.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from hub import audit
from hub.errors import BadInput
from ingest import reprocess as reprocessing
from web.forms import ActionForm
from web.permissions import MANAGE_INTEGRATIONS, requires
from web.services import services

bp = Blueprint("unprocessable", __name__, url_prefix="/events")


@bp.get("/unprocessable")
@requires(MANAGE_INTEGRATIONS)
def index() -> ResponseReturnValue:
    source = request.args.get("source") or None
    items = reprocessing.unprocessable(services().intake, source=source)
    return render_template("events/unprocessable.html", items=items, source=source)


@bp.post("/<event:event_id>/reprocess")
@requires(MANAGE_INTEGRATIONS)
def reprocess(event_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = reprocessing.reprocess(services().intake, event_id)
    except BadInput as exc:
        abort(404, description=str(exc))
    # Not guarded (acting_db): the reprocessing went through the intake, whose group commits mix requests and are
    # not guarded, so refusing here would only lose the audit record of what was done.
    with services().db.transaction() as session:
        audit.record(session, current_user.email, "event.reprocess", f"event {event_id}", result=result.describe())
    flash(result.describe(), "success" if result.applied else "error")
    return redirect(url_for("unprocessable.index"))
