"""The page an "Acknowledge" link in an assignment or escalation mail opens (hub/ack_links.py).

No login: the signed link names the person, and their account decides whether they may act (active, with a role
that works incidents). A GET shows the incident and changes nothing, because mail scanners fetch every link in a
message; the button's POST (with its CSRF token, web/mail_links.py) acknowledges it as that person, as the
incident page's Acknowledge does, which stops its escalation.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hub import ack_links, people, triage
from hub.agent_action import Actor, TriageError
from hub.models import Incident, User
from hub.signed_links import LinkProblem
from web.extensions import csrf
from web.incident_actions import mail_settings
from web.mail_links import form_is_current, refused_link
from web.permissions import WORK_INCIDENTS, allowed
from web.services import services

bp = Blueprint("acknowledge", __name__)


@bp.get("/ack/<token>")
def page(token: str) -> ResponseReturnValue:
    """The incident, and the button when it is still open and the person may acknowledge it."""
    try:
        incident, user = _subject(token)
    except LinkProblem as exc:
        return _problem(exc)
    return _page(token, incident, user, done=request.args.get("done") == "1")


@bp.post("/ack/<token>")
@csrf.exempt  # checked below, with an answer the person can act on
def acknowledge(token: str) -> ResponseReturnValue:
    """Acknowledge as the person the link names, then show the page again saying so."""
    try:
        incident, user = _subject(token)
    except LinkProblem as exc:
        return _problem(exc)
    if not form_is_current():
        return _page(token, incident, user, error="this page was out of date; press the button again", code=400)
    if not allowed(user.role, WORK_INCIDENTS):
        return _page(token, incident, user, code=403)
    try:
        triage.change_status(services().db, incident.id, "acknowledge", Actor(user.email), mail_settings())
    except TriageError as exc:  # someone was quicker, or it was resolved meanwhile
        incident, user = _subject(token)
        return _page(token, incident, user, error=str(exc), code=409)
    return redirect(url_for(".page", token=token, done="1"), 303)


def _subject(token: str) -> tuple[Incident, User]:
    claim = ack_links.read(services().settings.verifying_keys, token)
    with services().db.read() as session:
        return ack_links.subject(session, claim)


def _page(
    token: str, incident: Incident, user: User, *, done: bool = False, error: str | None = None, code: int = 200
) -> ResponseReturnValue:
    may = allowed(user.role, WORK_INCIDENTS)
    with services().db.read() as session:
        names = people.names_of(session.connection(), [incident.assignee])
    page = render_template("acknowledge/page.html", token=token, incident=incident, person=user.email, may=may,
                           names=names, done=done, error=error)  # fmt: skip
    return page, code if may else 403


def _problem(exc: LinkProblem) -> ResponseReturnValue:
    """400 for a link we did not make, 410 for one of ours that no longer works; either way: log in instead."""
    return refused_link(exc, "Nothing changed. Log in to Switchboard to acknowledge the incident from its page.")
