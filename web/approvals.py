"""Deciding approvals (hub/approvals.py): the page an "Approve or reject" link in a mail opens, without a login
(`link_bp`), and a logged-in person's "Approvals" page listing those waiting for them (`bp`). Asking and
withdrawing are on the incident's page (web/incident_actions.py).

The link names the approval and the person asked (hub/approval_links.py); it acts as them only while their
account is active. A GET shows the request and changes nothing, because mail scanners fetch every link in a
message; the form's POST (with its CSRF token, web/mail_links.py) decides. Any role decides its own approvals:
approvers are often managers who only view incidents.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from hub import approval_links, approvals
from hub.agent_action import Actor, TriageError
from hub.approvals import Approval
from hub.models import Incident, User
from hub.signed_links import LinkProblem
from web.acting import acting_db
from web.extensions import csrf
from web.forms import ActionForm
from web.incident_actions import mail_settings
from web.mail_links import form_is_current, refused_link
from web.permissions import DECIDE_APPROVALS, requires
from web.responses import sentence
from web.services import services

bp = Blueprint("approvals", __name__)
link_bp = Blueprint("approval_link", __name__)


@bp.get("/approvals")
@requires(DECIDE_APPROVALS)
def mine() -> ResponseReturnValue:
    """The approvals waiting for the person logged in, oldest first, each with Approve and Reject."""
    with services().db.read() as session:
        waiting = approvals.waiting_for(session, current_user.email)
    return render_template("approvals/mine.html", waiting=waiting)


@bp.post("/approvals/<int:approval_id>/decision")
@requires(DECIDE_APPROVALS)
def decide(approval_id: int) -> ResponseReturnValue:
    """Approve or reject one of one's own approvals; someone else's is refused (403)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        form = request.form
        decided = approvals.decide(acting_db(), approval_id, form.get("decision", ""), form.get("comment", ""),
                                   Actor(current_user.email), mail_settings())  # fmt: skip
    except approvals.NotTheApprover as exc:
        abort(403, description=sentence(str(exc)))
    except TriageError as exc:
        flash(sentence(str(exc)), "error")
    else:
        flash(f"{decided.ref} {decided.state}.", "success")
    return redirect(url_for(".mine"), 303)


@link_bp.get("/approve/<token>")
def page(token: str) -> ResponseReturnValue:
    """The request and who asks, with Approve and Reject while it is pending."""
    try:
        approval, incident, user = _subject(token)
    except LinkProblem as exc:
        return _problem(exc)
    return _page(token, approval, incident, user, done=request.args.get("done") == "1")


@link_bp.post("/approve/<token>")
@csrf.exempt  # checked below, with an answer the person can act on
def answer(token: str) -> ResponseReturnValue:
    """Decide as the person the link names, then show the page again saying so."""
    try:
        approval, incident, user = _subject(token)
    except LinkProblem as exc:
        return _problem(exc)
    if not form_is_current():
        return _page(token, approval, incident, user, error="this page was out of date; press the button again",
                     code=400)  # fmt: skip
    try:
        approvals.decide(services().db, approval.id, request.form.get("decision", ""),
                         request.form.get("comment", ""), Actor(user.email), mail_settings())  # fmt: skip
    except TriageError as exc:  # decided meanwhile (another click, or from the page), or withdrawn
        approval, incident, user = _subject(token)
        return _page(token, approval, incident, user, error=str(exc), code=409)
    return redirect(url_for(".page", token=token, done="1"), 303)


def _subject(token: str) -> tuple[Approval, Incident, User]:
    claim = approval_links.read(services().settings.verifying_keys, token)
    with services().db.read() as session:
        return approvals.by_link(session, claim)


def _page(
    token: str, approval: Approval, incident: Incident, user: User, *, done: bool = False, error: str | None = None,
    code: int = 200,
) -> ResponseReturnValue:  # fmt: skip
    page = render_template("approvals/link.html", token=token, approval=approval, incident=incident,
                           person=user.email, done=done, error=error)  # fmt: skip
    return page, code


def _problem(exc: LinkProblem) -> ResponseReturnValue:
    """400 for a link we did not make, 410 for one of ours that no longer works; either way: log in instead."""
    return refused_link(exc, "Nothing changed. Log in to Switchboard and open Approvals to decide it there.")
