"""The notification queue page: the notifications in one state (those not yet delivered unless `?state=` names
one: dead, pending, queued, sent or discarded), newest first, paged on id with "Older" and "Newer" links so any
number of rows can be read; and retry or discard for each undelivered one (admins; the same functions as
`switchboard outbox retry|discard`, audited), which return the admin to the view they pressed it on, filter and page
kept. The dashboard's "Failed notifications" tile links to `?state=dead`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import audit, outbox_admin
from hub.models import OutboxMessage
from hub.numbers import MAX_ID
from web.acting import acting_db
from web.forms import ActionForm, back_to, button_action
from web.permissions import MANAGE_USERS, requires
from web.services import services

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@dataclass(frozen=True)
class View:
    """What one `?state=` shows: the statuses, the filter's label, and what the page says when there are none."""

    statuses: tuple[str, ...]
    label: str
    empty: str


#: What `?state=` may name; the first is the page's default.
VIEWS: dict[str, View] = {
    "undelivered": View(outbox_admin.UNDELIVERED, "Undelivered", "Everything owed has been delivered."),
    "dead": View(("dead",), "Dead letters", "No dead letters."),
    "pending": View(("pending",), "Pending", "Nothing is waiting to be handed to a worker."),
    "queued": View(("queued",), "Queued", "Nothing is with a worker now."),
    "sent": View(("sent",), "Sent", "Nothing has been sent yet."),
    "discarded": View(("discarded",), "Discarded", "Nothing has been discarded."),
}


@bp.get("")
@requires(MANAGE_USERS)
def index() -> ResponseReturnValue:
    state = request.args.get("state") or "undelivered"
    if state not in VIEWS:
        abort(404, description=f"The queue has no state {state!r}; it shows {', '.join(VIEWS)}.")
    before, after = _row_id("before"), _row_id("after")
    with services().db.read() as session:
        page = outbox_admin.listed(session, VIEWS[state].statuses, before=before, after=after)
        dead = session.scalar(select(func.count()).where(OutboxMessage.status == "dead")) or 0
    return render_template("outbox.html", page=page, state=state, views=VIEWS, dead=dead,
                           undelivered=outbox_admin.UNDELIVERED, form=ActionForm())  # fmt: skip


def _row_id(name: str) -> int | None:
    """A page boundary from the query string; one no row can have is no boundary (the newest page)."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_ID else None


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
    with acting_db().transaction() as session:
        count = outbox_admin.retry_all_dead(session, by=current_user.email)
        audit.record(session, current_user.email, "outbox.retry_all_dead", "dead letters", count=count)
    flash(f"{count} dead notification{'s' if count != 1 else ''} queued again.", "success")
    return redirect(back_to("outbox.index"))
