"""The incident pages: the list with a status filter, and one incident with its timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.permissions import VIEW_INCIDENTS, requires
from web.queries import DEFAULT_LIMIT, STATUSES, get_incident, list_incidents
from web.services import services

bp = Blueprint("incidents", __name__)


@bp.get("/")
def root() -> ResponseReturnValue:
    return redirect(url_for("incidents.index"))


@bp.get("/incidents")
@requires(VIEW_INCIDENTS)
def index() -> ResponseReturnValue:
    status = request.args.get("status")
    if status not in STATUSES:
        status = None  # an unknown filter shows everything rather than an error page
    with services().db.read() as session:
        rows = list_incidents(session, status=status, limit=DEFAULT_LIMIT)
    return render_template("incidents/list.html", incidents=rows, status=status, statuses=STATUSES, limit=DEFAULT_LIMIT)


@bp.get("/incidents/<ref>")
@requires(VIEW_INCIDENTS)
def detail(ref: str) -> ResponseReturnValue:
    with services().db.read() as session:
        incident = get_incident(session, ref)
    if incident is None:
        abort(404, description=f"There is no incident {ref}.")
    return render_template("incidents/detail.html", incident=incident)


@bp.app_template_filter("when")
def when(value: datetime | None) -> str:
    """A timestamp people can read at a glance, always in UTC so everyone on a call sees the same time."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.app_template_filter("iso")
def iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value is not None else ""
