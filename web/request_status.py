"""The requester's "Follow your request" page, `/requests/<token>` (hub/request_links.py): no login.

It says where the request stands in words for the requester, then shows the conversation they already have in their
mailbox (hub/request_conversation.py): the mail they sent and what they replied here, without the quoted history
(ingest/quotes.py), and the desk's replies, signed "The service desk", oldest first, as escaped plain text. It never
shows the desk's own work (notes, assignments, who answered) or other people's mail. Below it, a box takes their
reply (a POST with the page's CSRF token), applied as their emailed reply would be (hub/requester_replies.py: on the
timeline, the assignee and watchers told, a resolved request reopened within the reopen window); after that window,
or once closed, the page says so and how to ask again instead of showing the box. The reply's POST answers 303 to
the page, which says what the reply did in a status message that takes the focus. Its button lets them say it is
solved (a POST with the page's CSRF token), which resolves the incident as theirs to say. A link to a request
since merged into another of theirs shows, solves and takes replies for that one (request_links.current_incident).
A tampered link is a 400 page, an expired or stale one 410.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from hub import agent_files, request_links, requester_replies, triage
from hub.agent_action import Actor, TriageError
from hub.errors import BadField
from hub.signed_links import LinkProblem
from ingest.quotes import latest_reply
from web import uploads
from web.extensions import csrf
from web.incident_actions import mail_settings
from web.mail_links import form_is_current, link_problem, refused_link
from web.ratelimit import reply_retry_after
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
    replied = request.args.get("replied", "")
    return _page(token, found, done=request.args.get("solved") == "1" and solved,
                 replied=replied if replied in requester_replies.ROUTES else None)  # fmt: skip


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


@bp.post("/requests/<token>/reply")
@csrf.exempt  # checked below, with the page again and what they typed as the answer
def reply(token: str) -> ResponseReturnValue:
    """The requester's reply, applied as their emailed reply is (hub/requester_replies.py); then back to the page
    (303, so reloading it sends nothing again), which says what the reply did."""
    store = uploads.store()
    uploads.allow_files(store.limits)  # before anything reads the body
    typed = request.form.get("text", "")
    try:
        claim = request_links.LINKS.read(services().settings.verifying_keys, token)
        with services().db.read() as session:
            incident = request_links.current_incident(session, claim)
            incident_id, title = incident.id, incident.title
        if not form_is_current():
            return _page(token, _view(token), error="this page was out of date; send your reply again", code=400,
                         typed=typed)  # fmt: skip
        wait = reply_retry_after(services().redis(), incident_id)
        if wait is not None:
            minutes = -(-wait // 60)
            said = (f"you have sent many replies to this request in the last hour; send this one again in {minutes} "
                    "minutes, or reply to one of our emails")  # fmt: skip
            return _page(token, _view(token), error=said, code=429, typed=typed, headers={"Retry-After": str(wait)})
        files = uploads.read(request.files.getlist("files"), store.limits)
        text = requester_replies.text_of(typed, files=len(files))
        kept = agent_files.keep(store, files)
        route = requester_replies.send(services().intake, claim.person, incident_id, title, text, kept)
    except LinkProblem as exc:
        return _refused(exc)
    except requester_replies.TooLate as exc:
        return _page(token, _view(token), error=str(exc), code=409, typed=typed)
    except BadField as exc:
        return _page(token, _view(token), error=str(exc), code=400, typed=typed)
    return redirect(url_for(".page", token=token, replied=route, _anchor="replied"), 303)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    files = uploads.limits_in_words(uploads.store().limits)
    return link_problem(413, f"What you sent is too large for a reply. {files}",
                        "Go back, leave out a file or shorten your reply and send it again, or reply to one of our "
                        "emails with the files attached.", heading="Too large to send")  # fmt: skip


def link_to(incident_id: int, person: str) -> str:
    """The path of `person`'s page about their request `incident_id`, signed as the desk's mail signs it: for the
    public pages that lead a requester on to it (their list, the sent request, "How did we do?")."""
    return url_for("request_status.page", token=request_links.LINKS.sign(services().settings.secret_key, incident_id,
                                                                          person))  # fmt: skip


def _view(token: str) -> request_links.RequestView:
    settings = services().settings
    claim = request_links.LINKS.read(settings.verifying_keys, token)
    with services().db.read() as session:
        return request_links.view(session, claim, latest_reply, reopen_window=settings.reply_reopen_window)


def _page(
    token: str,
    found: request_links.RequestView,
    *,
    done: bool = False,
    error: str | None = None,
    code: int = 200,
    replied: str | None = None,
    typed: str = "",
    headers: dict[str, str] | None = None,
) -> ResponseReturnValue:
    return render_template("requests/page.html", request=found, token=token, done=done, error=error,
                           replied=replied, typed=typed, max_text=requester_replies.MAX_TEXT,
                           file_limits=uploads.limits_in_words(uploads.store().limits),
                           desk_address=services().settings.desk_address), code, headers or {}  # fmt: skip


def _refused(exc: LinkProblem) -> ResponseReturnValue:
    desk = services().settings.desk_address
    return refused_link(exc, f"To ask about your request, reply to one of our emails about it, or write to {desk}.")
