"""The public "How did we do?" page a requester reaches from the mail saying their incident was resolved.

No login: the signed link (hub/satisfaction.py) is the requester's authority. A GET only shows the form, with the
rating the link named preselected, because mail scanners fetch every link in a message; only the form's POST
records, with the app's usual CSRF token (checked by web/mail_links.py, so a stale form gets this page's answer).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hub import satisfaction
from hub.models import Incident
from hub.satisfaction import BadAnswer
from hub.signed_links import Claim, LinkProblem
from web import request_status
from web.extensions import csrf
from web.mail_links import form_is_current, link_problem, refused_link
from web.ratelimit import survey_retry_after
from web.services import services

bp = Blueprint("satisfaction", __name__)
_REPLY_INSTEAD = (
    "Nothing was recorded. To tell us how we did, reply to the email we sent you about your request instead."
)


@bp.get("/satisfaction/<token>")
def page(token: str) -> ResponseReturnValue:
    """The question, with the link's rating (or the answer already given) chosen; records nothing."""
    try:
        claim = _claim(token)
        with services().db.read() as session:
            incident = satisfaction.incident_for(session, claim)
            answer = satisfaction.answer_for(session, incident.id)
    except LinkProblem as exc:
        return _problem(exc)
    chosen = satisfaction.rating_of(request.args.get("rating")) or (answer.rating if answer else None)
    return _form(token, claim, incident, chosen, answer.comment if answer else "",
                 saved=answer is not None and request.args.get("saved") == "1")  # fmt: skip


@bp.post("/satisfaction/<token>")
@csrf.exempt  # checked below, with an answer a requester can act on
def answer(token: str) -> ResponseReturnValue:
    """Record the answer (replacing an earlier one), then show the page again saying it was kept."""
    try:
        claim = _claim(token)
        with services().db.read() as session:
            incident = satisfaction.incident_for(session, claim)
    except LinkProblem as exc:
        return _problem(exc)
    if not form_is_current():
        message = "This form was out of date. Open the link in the email again and send your answer from there."
        return link_problem(400, message, _REPLY_INSTEAD)
    wait = survey_retry_after(services().redis(), incident.id)
    if wait is not None:
        minutes = -(-wait // 60)
        message = f"Your answer has changed many times in the last hour. Please send it again in {minutes} minutes."
        return link_problem(429, message, _REPLY_INSTEAD, heading="Please wait a little",
                            headers={"Retry-After": str(wait)})  # fmt: skip
    rating = satisfaction.rating_of(request.form.get("rating"))
    comment = request.form.get("comment", "")
    try:
        if rating is None:
            raise BadAnswer(f"choose {' or '.join(satisfaction.RATINGS.values())}")
        satisfaction.record(services().db, claim, rating, comment)
    except LinkProblem as exc:
        return _problem(exc)
    except BadAnswer as exc:
        return _form(token, claim, incident, rating, comment, error=str(exc), code=400)
    return redirect(url_for(".page", token=token, saved="1"), 303)


def _claim(token: str) -> Claim:
    return satisfaction.read(services().settings.verifying_keys, token)


def _form(
    token: str,
    claim: Claim,
    incident: Incident,
    chosen: str | None,
    comment: str | None,
    *,
    saved: bool = False,
    error: str | None = None,
    code: int = 200,
) -> ResponseReturnValue:
    """The question about `incident`, with a link on to the requester's own page about it (signed for them, as the
    mail's is), where it stands and what was said."""
    page = render_template("satisfaction/page.html", token=token, ref=incident.ref, title=incident.title,
                           chosen=chosen, comment=comment or "", saved=saved, error=error,
                           ratings=satisfaction.RATINGS, max_comment=satisfaction.MAX_COMMENT,
                           request_url=request_status.link_to(incident.id, claim.person))  # fmt: skip
    return page, code


def _problem(exc: LinkProblem) -> ResponseReturnValue:
    return refused_link(exc, _REPLY_INSTEAD)
