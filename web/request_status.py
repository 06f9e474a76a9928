"""The requester's "Follow your request" page, `/requests/<token>` (hub/request_links.py): no login, read only.

It says where the request stands in words for the requester, then shows the conversation they already have in their
mailbox (hub/request_conversation.py): the mail they sent, without the quoted history (ingest/quotes.py), and the
desk's replies, signed "The service desk", oldest first, as escaped plain text. It never shows the desk's own work
(notes, assignments, who answered) or other people's mail; to add something they reply to the mail, as the page
says. A tampered link is a 400 page, an expired or stale one 410.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from hub import request_links
from hub.signed_links import LinkProblem
from ingest.quotes import latest_reply
from web.mail_links import refused_link
from web.services import services

bp = Blueprint("request_status", __name__)


@bp.get("/requests/<token>")
def page(token: str) -> ResponseReturnValue:
    settings = services().settings
    try:
        claim = request_links.LINKS.read(settings.secret_key, token)
        with services().db.read() as session:
            found = request_links.view(session, claim, latest_reply)
    except LinkProblem as exc:
        advice = f"To ask about your request, reply to one of our emails about it, or write to {settings.desk_address}."
        return refused_link(exc, advice)
    return render_template("requests/page.html", request=found, desk_address=settings.desk_address)
