"""The public status page, `/status` (and `/status.json` for other tools): no login, as hub/status_page.py says.

An installation with no public service has no status page: both answer 404, so nothing is shown by default.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from hub import status_page
from hub.models import utcnow
from web.responses import json_error, json_response
from web.services import services

bp = Blueprint("status_page", __name__)

#: How long browsers and proxies may keep a copy: the page is the same for everyone.
MAX_AGE = 30


@bp.get("/status")
def page() -> ResponseReturnValue:
    with services().db.read() as session:
        found = status_page.read(session, utcnow())
    if found is None:
        return render_template("status/none.html"), 404
    html = render_template("status/page.html", status=found, desk_address=services().settings.desk_address)
    return html, 200, {"Cache-Control": f"public, max-age={MAX_AGE}"}


@bp.get("/status.json")
def as_json() -> ResponseReturnValue:
    with services().db.read() as session:
        found = status_page.read(session, utcnow())
    if found is None:
        return json_error(404, "there is no public status page: no service is public (switchboard service set)")
    answer = json_response(found.as_json())
    answer.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return answer
