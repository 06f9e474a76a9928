"""The help centre's "Ask the desk" form, `/help/ask`: the web door to the service desk, beside email. No login.

Anyone may type anyone's address, so the form opens nothing (hub/pending_requests.py): it stores the request, owes a
mail with a link to that address, and answers "check your email" whatever the address, so it tells no one whether
a mail went out (one did not if the address was sent one in the last ten minutes, or bounced our mail lately). The
same page offers the published articles that match what was written ("These may answer it already"): whoever
finds the answer there simply leaves the mail unanswered.

The link's page shows the request with one button, as every mail link here does (mail scanners follow links); its
POST sends the request through the intake like an email (ingest/asked.py), once however often it is pressed, then
the page shows the reference and links to the request's own page (web/request_status.py).

"Request something" (`/help/request`) lists the request catalogue's active types (hub/request_types.py); each one's
form is this form with `?type=<id>`: its questions instead of "what happened", sent through the same confirmation. A
form naming a type retired since it was opened is refused, saying so, and so is its confirmation link's button
(else the request would open with no type: none of its group, steps or approval).

Limits: per client (web/ratelimit.py ASK_PER_CLIENT) and for everyone (ASK_IN_ALL), counted only for requests that
pass the form's checks, since only those can send mail; the form's fields are capped as an incident an agent logs
is (ingest/logged.py), and a body too large for the app (SWITCHBOARD_MAX_EVENT_BYTES) is a 413 with the form's
own words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from hub import knowledge, pending_requests, request_types, status_page
from hub.domain import format_ref
from hub.errors import BadField
from hub.models import utcnow
from hub.numbers import row_id
from hub.pending_requests import Pending
from hub.request_questions import MAX_ANSWER, MAX_QUESTIONS, field_of
from hub.request_types import TypeView
from hub.signed_links import LinkProblem
from ingest import asked
from ingest.logged import InvalidField
from web import request_status
from web.extensions import csrf
from web.incident_actions import mail_settings
from web.mail_links import form_is_current, link_problem, refused_link
from web.ratelimit import ASK_PER_CLIENT, ask_retry_after, this_client_retry_after
from web.services import services

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

bp = Blueprint("ask_desk", __name__)

_ASK_AGAIN = "Ask again on the help centre's “Ask the desk” page: we email you a new link."


@bp.get("/help/request")
def catalogue() -> ResponseReturnValue:
    """What people may ask for (the request catalogue's active types), each leading to its own form."""
    with services().db.read() as session:
        offered = request_types.listing(session, active_only=True)
    return render_template("help/request.html", offered=offered)


@bp.get("/help/ask")
def form() -> ResponseReturnValue:
    chosen = request.args.get("type", "")
    if not chosen:
        return _form()
    try:
        with services().db.read() as session:
            asked_for = request_types.offered(session, _type_id(chosen))
    except BadField as exc:
        return _form({"kind": "request"}, {"form": str(exc)}, 404)
    return _form({"kind": "request"}, asked_for=asked_for)


@bp.post("/help/ask")
@csrf.exempt  # checked below, with the form again as the answer
def ask() -> ResponseReturnValue:
    """Store the request and owe the mail whose link sends it, then say: check your email."""
    answered = [field_of(index) for index in range(MAX_QUESTIONS)]
    typed = {name: request.form.get(name, "") for name in (*asked.FIELDS, *answered)}
    asked_for = None
    try:
        with services().db.read() as session:
            public = status_page.public_services(session)
            if typed["request_type"]:  # a form opened before its type was retired is refused, saying so
                asked_for = request_types.offered(session, _type_id(typed["request_type"]))
    except BadField as exc:
        return _form({**typed, "request_type": ""}, {"form": str(exc)}, 400)
    if not form_is_current():
        return _form(typed, {"form": "this page was out of date; send it again"}, 400, asked_for=asked_for)
    try:
        question = asked.question(typed, public, asked_for)
    except (InvalidField, BadField) as exc:
        return _form(typed, {exc.field: str(exc)}, 400, asked_for=asked_for)
    # This client's share first: one over it is refused without spending everyone's.
    if (wait := this_client_retry_after(ASK_PER_CLIENT)) is not None:
        return _wait(wait, "You asked the desk many times in the last hour.")
    if (wait := ask_retry_after(services().redis())) is not None:
        return _wait(wait, "Many people asked the desk in the last hour.")
    with services().db.read() as session:
        published = services().articles.current(session.connection())
        suggested = knowledge.suggest(published, f"{question.subject}\n{question.body}")
    with services().db.transaction() as session:
        pending_requests.ask(session, question, mail_settings().sender, utcnow())
    return render_template("help/ask_sent.html", sent_to=question.email, suggested=suggested,
                           valid_hours=pending_requests.CONFIRM.lifetime.total_seconds() // 3600)  # fmt: skip


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    message = (f"what you sent is too large for this form: keep what happened under {asked.MAX_BODY:,} characters, "
               "or email the desk instead, with files attached")  # fmt: skip
    return _form({}, {"form": message}, 413)


@bp.get("/help/ask/confirm/<token>")
def confirm_page(token: str) -> ResponseReturnValue:
    """The request the link names, with the button that sends it; sends nothing by itself (mail scanners follow
    links). Once sent, its reference."""
    try:
        claim = pending_requests.CONFIRM.read(services().settings.verifying_keys, token)
        with services().db.read() as session:
            found = pending_requests.read(session, claim)
            retired = _retired_since(session, found)
    except LinkProblem as exc:
        return refused_link(exc, _ASK_AGAIN)
    return _confirm_page(token, found, error=retired, sendable=retired is None)


@bp.post("/help/ask/confirm/<token>")
@csrf.exempt  # checked below, with an answer the person can act on
def confirm(token: str) -> ResponseReturnValue:
    """Send the request to the desk (once, however often this is pressed), then show where it went."""
    try:
        claim = pending_requests.CONFIRM.read(services().settings.verifying_keys, token)
        if not form_is_current():
            with services().db.read() as session:
                found = pending_requests.read(session, claim)
            return _confirm_page(token, found, error="this page was out of date; press the button again", code=400)
        with services().db.read() as session:
            found = pending_requests.read(session, claim)
            retired = _retired_since(session, found)
        if retired:  # else it would open with no type: none of its group, steps or approval
            return _confirm_page(token, found, error=retired, code=409, sendable=False)
        asked.confirm(services().db, services().intake, claim)
    except LinkProblem as exc:
        return refused_link(exc, _ASK_AGAIN)
    return redirect(url_for(".confirm_page", token=token), 303)


def _form(
    typed: dict[str, str] | None = None, errors: dict[str, str] | None = None, code: int = 200, *,
    asked_for: TypeView | None = None,
) -> ResponseReturnValue:  # fmt: skip
    with services().db.read() as session:
        public = status_page.public_services(session)
        offers = bool(request_types.listing(session, active_only=True)) if asked_for is None else False
    page = render_template("help/ask.html", typed=typed or {}, errors=errors or {}, public=public,
                           max_subject=asked.MAX_SUBJECT, max_body=asked.MAX_BODY, asked_for=asked_for,
                           offers=offers, field_of=field_of, max_answer=MAX_ANSWER,
                           desk_address=services().settings.desk_address)  # fmt: skip
    return page, code


def _type_id(text: str) -> int:
    """The request type a form names; refused as a retired one is when it names none (a tampered form)."""
    number = row_id(text.strip())
    if number is None:
        raise request_types.not_offered()
    return number


def _retired_since(session: Session, found: Pending) -> str | None:
    """Why a request not sent yet cannot be, when its request type was retired after it was asked; None when it
    can. A request already sent is shown as it went."""
    if found.sent or found.request_type_id is None:
        return None
    try:
        request_types.offered(session, found.request_type_id)
    except BadField as exc:
        return str(exc)
    return None


def _confirm_page(
    token: str, found: Pending, *, error: str | None = None, code: int = 200, sendable: bool = True
) -> ResponseReturnValue:
    reference = track = None
    if found.sent and found.incident_id is not None:
        reference = format_ref(found.incident_id)
        track = request_status.link_to(found.incident_id, found.email)
    page = render_template("help/ask_confirm.html", pending=found, token=token, reference=reference, track=track,
                           error=error, sending=found.sending(utcnow()), sendable=sendable)  # fmt: skip
    return page, code


def _wait(seconds: int, why: str) -> ResponseReturnValue:
    message = f"{why} Please try again in {-(-seconds // 60)} minutes."
    advice = f"If it cannot wait, email {services().settings.desk_address}."
    return link_problem(429, message, advice, heading="Please wait a little", headers={"Retry-After": str(seconds)})
