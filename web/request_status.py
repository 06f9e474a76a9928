"""The requester's "Follow your request" page, `/requests/<token>` (hub/request_links.py): no login, read only.

It says where the request stands in words for the requester, then shows the conversation they already have in their
mailbox (hub/request_conversation.py): the mail they sent, without the quoted history (ingest/quotes.py), and the
desk's replies, signed "The service desk", oldest first, as escaped plain text. It never shows the desk's own work
(notes, assignments, who answered) or other people's mail; to add something they reply to the mail, as the page
says. Its one button lets them say it is solved (a POST with the page's CSRF token), which resolves the incident
as theirs to say. A link to a request since merged into another of theirs shows, and solves, that one
(request_links.current_incident). A tampered link is a 400 page, an expired or stale one 410.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hub import request_links, triage
from hub.agent_action import Actor, TriageError
from hub.signed_links import LinkProblem
from ingest.quotes import latest_reply
from web.extensions import csrf
from web.incident_actions import mail_settings
from web.mail_links import form_is_current, refused_link
from web.services import services

bp = Blueprint("request_status", __name__)


@bp.get("/requests/<token>")
def page(token: str) -> ResponseReturnValue:
    try:
        found = _view(token)
    except LinkProblem as exc:
        return _refused(exc)
    # The thanks stands in for the explanation only while it is true: reopened since, the page says where it stands.
    solved = (found.label, found.explanation) == request_links.SOLVED_BY_THEM
    return _page(token, found, done=request.args.get("solved") == "1" and solved)


@bp.post("/requests/<token>/solved")
@csrf.exempt  # checked below, with an answer the person can act on
def solved(token: str) -> ResponseReturnValue:
    """The requester says it is solved: the incident is resolved as theirs to say, and whoever works it is told."""
    try:
        claim = request_links.LINKS.read(services().settings.verifying_keys, token)
        with services().db.read() as session:
            incident_id = request_links.current_incident(session, claim).id
        if not form_is_current():
            return _page(token, _view(token), error="this page was out of date; press the button again", code=400)
        triage.change_status(services().db, incident_id, "resolve", Actor(claim.person), mail_settings(),
                             resolution=request_links.SOLVED)  # fmt: skip
    except LinkProblem as exc:
        return _refused(exc)
    except TriageError:  # resolved or closed meanwhile: the page says where it stands now
        return _page(token, _view(token), error="it is not open any more", code=409)
    return redirect(url_for(".page", token=token, solved="1"), 303)


def link_to(incident_id: int, person: str) -> str:
    """The path of `person`'s page about their request `incident_id`, signed as the desk's mail signs it: for the
    public pages that lead a requester on to it (their list, the sent request, "How did we do?")."""
    return url_for("request_status.page", token=request_links.LINKS.sign(services().settings.secret_key, incident_id,
                                                                          person))  # fmt: skip


def _view(token: str) -> request_links.RequestView:
    claim = request_links.LINKS.read(services().settings.verifying_keys, token)
    with services().db.read() as session:
        return request_links.view(session, claim, latest_reply)


def _page(
    token: str, found: request_links.RequestView, *, done: bool = False, error: str | None = None, code: int = 200
) -> ResponseReturnValue:
    return render_template("requests/page.html", request=found, token=token, done=done, error=error,
                           desk_address=services().settings.desk_address), code  # fmt: skip


def _refused(exc: LinkProblem) -> ResponseReturnValue:
    desk = services().settings.desk_address
    return refused_link(exc, f"To ask about your request, reply to one of our emails about it, or write to {desk}.")
