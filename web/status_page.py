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


_NONE = "there is no public status page: no service is public (switchboard service set NAME --public)"
_CACHE = {"Cache-Control": f"public, max-age={MAX_AGE}"}


def _current() -> status_page.StatusPage | None:
    with services().db.read() as session:
        return status_page.read(session, utcnow())


@bp.get("/status")
def page() -> ResponseReturnValue:
    if (found := _current()) is None:
        return render_template("status/none.html"), 404
    html = render_template("status/page.html", status=found, desk_address=services().settings.desk_address,
                           uptime_days=status_page.UPTIME_PERIOD.days)  # fmt: skip
    return html, 200, _CACHE


@bp.get("/status.json")
def as_json() -> ResponseReturnValue:
    if (found := _current()) is None:
        return json_error(404, _NONE)
    return json_response(found.as_json(), headers=_CACHE)


@bp.get("/status.atom")
def as_atom() -> ResponseReturnValue:
    """The agents' notes as an Atom feed, newest first, for feed readers and chat tools that follow feeds."""
    if (found := _current()) is None:
        return json_error(404, _NONE)
    entries = status_page.feed_entries(found)
    page = f"{services().settings.base_url}{url_for('.page')}"
    text = atom.feed(title="Service status", feed_id=f"{page}.atom", link=page,
                     updated=entries[0].updated if entries else found.updated_at, entries=entries)  # fmt: skip
    return Response(text, content_type=atom.MEDIA_TYPE, headers=_CACHE)
