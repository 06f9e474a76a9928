"""The notification queue page: everything not yet delivered, with dead letters first, and retry or discard
for each (admins; the same functions as `switchboard outbox retry|discard`, audited)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from hub import audit, outbox_admin
from web.forms import ActionForm, button_action
from web.permissions import MANAGE_USERS, requires
from web.services import services

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.get("")
@requires(MANAGE_USERS)
def index() -> ResponseReturnValue:
    dead_only = request.args.get("dead") == "1"
    with services().db.read() as session:
        items = outbox_admin.undelivered(session, dead_only=dead_only, limit=500)
    items.sort(key=lambda item: (item.status != "dead", item.created_at))
    dead = sum(1 for item in items if item.status == "dead")
    return render_template("outbox.html", items=items, dead=dead, dead_only=dead_only, form=ActionForm())


@bp.post("/<int:outbox_id>/<action>")
@requires(MANAGE_USERS)
def act(outbox_id: int, action: str) -> ResponseReturnValue:
    if action not in ("retry", "discard"):
        abort(404)

    def work(session: Session) -> str:
        run = outbox_admin.retry if action == "retry" else outbox_admin.discard
        run(session, outbox_id, by=current_user.email)
        audit.record(session, current_user.email, f"outbox.{action}", f"notification {outbox_id}")
        return f"Notification {outbox_id} {'queued again' if action == 'retry' else 'discarded'}."

    return button_action(work, "outbox.index", refused="Nothing changed: {}.")


@bp.post("/retry-dead")
@requires(MANAGE_USERS)
def retry_dead() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    with services().db.transaction() as session:
        count = outbox_admin.retry_all_dead(session, by=current_user.email)
        audit.record(session, current_user.email, "outbox.retry_all_dead", "dead letters", count=count)
    flash(f"{count} dead notification{'s' if count != 1 else ''} queued again.", "success")
    return redirect(url_for("outbox.index"))
