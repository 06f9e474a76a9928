"""The public status page, `/status` (`/status.json` for other tools, `/status.atom` for feed readers): no login,
as hub/status_page.py says.

An installation with no public service has no status page: both answer 404, so nothing is shown by default.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, url_for
from flask.typing import ResponseReturnValue

from hub import atom, status_page
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
    html = render_template("status/page.html", status=found, desk_address=services().settings.desk_address,
                           uptime_days=status_page.UPTIME_PERIOD.days)  # fmt: skip
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


@bp.get("/status.atom")
def as_atom() -> ResponseReturnValue:
    """The agents' notes as an Atom feed, newest first, for feed readers and chat tools that follow feeds."""
    with services().db.read() as session:
        found = status_page.read(session, utcnow())
    if found is None:
        return json_error(404, "there is no public status page: no service is public (switchboard service set)")
    entries = status_page.feed_entries(found)
    page = f"{services().settings.base_url}{url_for('.page')}"
    text = atom.feed(title="Service status", feed_id=f"{page}.atom", link=page,
                     updated=entries[0].updated if entries else found.updated_at, entries=entries)  # fmt: skip
    return Response(text, content_type=atom.MEDIA_TYPE, headers={"Cache-Control": f"public, max-age={MAX_AGE}"})
