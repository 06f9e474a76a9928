"""The help centre's "My requests", `/help/my-requests`: a requester's list of all their requests. No login.

The form takes an address and mails it a link to the list (hub/my_requests.py); whatever the address, and whether
or not a mail went out (it does not to an address that asked nothing, that was sent one in the last ten minutes,
or that bounced our mail), the page answers the same: "if we hold requests from that address, a link is on its
way", so it tells no one whether an address is known. The link's page lists the requests, each with a fresh link
to its own page (web/request_status.py), so no other mail is needed; it is read only, and shows times in the
installation's zone, as every public page does.

Limits: per client (web/ratelimit.py MY_REQUESTS_PER_CLIENT) and for everyone (MY_REQUESTS_IN_ALL), counted only
for a well-formed address, since only those can send mail. The form holds one address, so a body over
MAX_FORM_BYTES is refused with 413 before it is read.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from hub import link_mail, my_requests
from hub.models import utcnow
from hub.signed_links import LinkProblem
from web import request_status
from web.extensions import csrf
from web.incident_actions import mail_settings
from web.mail_links import form_is_current, link_problem, refused_link
from web.ratelimit import MY_REQUESTS_PER_CLIENT, my_requests_retry_after, this_client_retry_after
from web.services import services

bp = Blueprint("my_requests", __name__)

#: The largest body the form takes: an address, its CSRF token and room to spare.
MAX_FORM_BYTES = 4096


@bp.get("/help/my-requests")
def form() -> ResponseReturnValue:
    return _form()


@bp.post("/help/my-requests")
@csrf.exempt  # checked below, with the form again as the answer
def ask() -> ResponseReturnValue:
    """Owe the address the mail with the link to its list (when hub/my_requests.py says so), then say the same
    whatever happened."""
    request.max_content_length = MAX_FORM_BYTES  # before anything reads the body
    typed = request.form.get("email", "")
    if not form_is_current():
        return _form(typed, "this page was out of date; send it again", 400)
    try:
        address = link_mail.clean_address(typed)
    except link_mail.NotAnAddress as exc:
        return _form(typed, str(exc), 400)
    # This client's share first: one over it is refused without spending everyone's.
    if (wait := this_client_retry_after(MY_REQUESTS_PER_CLIENT)) is not None:
        return _wait(wait, "You asked for your requests many times in the last hour.")
    if (wait := my_requests_retry_after(services().redis())) is not None:
        return _wait(wait, "Many people asked for their requests in the last hour.")
    with services().db.transaction() as session:
        my_requests.ask(session, address, mail_settings().sender, utcnow())
    return render_template("help/my_requests_ask.html", sent_to=address,
                           valid_for=my_requests.LINKS.lifetime_in_words)  # fmt: skip


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    return _form("", "what you sent is too large for this form: type just your email address", 413)


@bp.get("/help/my-requests/<token>")
def page(token: str) -> ResponseReturnValue:
    """The requests the link's address sent, each with a link to its own page."""
    settings = services().settings
    try:
        claim = my_requests.LINKS.read(settings.verifying_keys, token)
    except LinkProblem as exc:
        advice = "Type your email address on the help centre's “My requests” page, and we email you a new link."
        return refused_link(exc, advice, again=url_for(".form"))
    with services().db.read() as session:
        found = my_requests.listing(session, claim, utcnow())
    links = {listed.incident_id: request_status.link_to(listed.incident_id, claim.person) for listed in found.requests}
    return render_template("help/my_requests.html", listing=found, links=links, shown=my_requests.SHOWN,
                           recent_days=my_requests.RECENT.days, desk_address=settings.desk_address)  # fmt: skip


def _form(typed: str = "", error: str | None = None, code: int = 200) -> ResponseReturnValue:
    page = render_template("help/my_requests_ask.html", typed=typed, error=error,
                           desk_address=services().settings.desk_address)  # fmt: skip
    return page, code


def _wait(seconds: int, why: str) -> ResponseReturnValue:
    message = f"{why} Please try again in {-(-seconds // 60)} minutes."
    advice = "Meanwhile, the link in each of our emails about a request still shows where it stands."
    return link_problem(429, message, advice, heading="Please wait a little", headers={"Retry-After": str(seconds)})
