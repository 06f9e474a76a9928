"""The audit log page: who changed what, newest first (admins only)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from hub import audit
from web.permissions import MANAGE_USERS, requires
from web.services import services

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@requires(MANAGE_USERS)
def index() -> ResponseReturnValue:
    action = (request.args.get("action") or "").strip()[:64] or None
    with services().db.read() as session:
        entries = audit.recent(session, action=action)
    return render_template("audit.html", entries=entries, action=action)
