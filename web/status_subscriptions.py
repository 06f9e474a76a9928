"""Status updates by mail (hub/status_subscriptions.py): the form that asks for them, and the pages the links in
their mail open. No login.

The form sits on its own page, not on `/status`: the status page is cached by proxies for everyone, and a form's
CSRF token belongs to one browser. Whatever address is typed in, the answer is the same ("check your mail"), so
the form tells no one who is subscribed. The confirmation link's page has a button, as every mail link here
does; the unsubscribe link's POST needs no CSRF token, because mail providers make it themselves (RFC 8058's
one-click unsubscribe) and the signed link is all the authority it needs.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hub import link_mail, status_page
from hub import status_subscriptions as subscriptions
from hub.models import utcnow
from hub.signed_links import Claim, LinkProblem, StaleLink
from web.extensions import csrf
from web.incident_actions import mail_settings
from web.mail_links import form_is_current, link_problem, refused_link
from web.ratelimit import SUBSCRIBE_PER_CLIENT, subscribe_retry_after, this_client_retry_after
from web.services import services

bp = Blueprint("status_subscriptions", __name__)

_ASK_AGAIN = "Ask for updates again on the status page's “Get updates by email” page."


def _has_status_page() -> bool:
    with services().db.read() as session:
        return bool(status_page.public_services(session))


@bp.get("/status/subscribe")
def form() -> ResponseReturnValue:
    if not _has_status_page():
        return render_template("status/none.html"), 404
    return render_template("status/subscribe.html")


@bp.post("/status/subscribe")
@csrf.exempt  # checked below, with an answer the person can act on
def ask() -> ResponseReturnValue:
    """Owe the confirmation mail (unless one went out just now, or the address is subscribed) and say: check your
    mail."""
    if not _has_status_page():
        return render_template("status/none.html"), 404
    if not form_is_current():
        return render_template("status/subscribe.html", error="this page was out of date; send it again"), 400
    # This client's share first: one over it is refused without spending everyone's.
    if (wait := this_client_retry_after(SUBSCRIBE_PER_CLIENT)) is not None:
        return _wait(wait, "You asked for updates many times in the last hour.")
    if (wait := subscribe_retry_after(services().redis())) is not None:
        return _wait(wait, "Many people asked for updates in the last hour.")
    typed = request.form.get("email", "")
    try:
        address = link_mail.clean_address(typed)
    except link_mail.NotAnAddress as exc:
        return render_template("status/subscribe.html", error=str(exc), typed=typed), 400
    with services().db.transaction() as session:
        subscriptions.ask(session, address, mail_settings().sender, utcnow())
    return render_template("status/subscribe.html", sent_to=address)


@bp.get("/status/confirm/<token>")
def confirm_page(token: str) -> ResponseReturnValue:
    """Who the link confirms, the services to choose from, and the button; confirms nothing by itself (mail
    scanners follow links)."""
    try:
        claim = subscriptions.CONFIRM.read(services().settings.verifying_keys, token)
        return _confirm_page(token, claim)
    except LinkProblem as exc:
        return refused_link(exc, _ASK_AGAIN)


@bp.post("/status/confirm/<token>")
@csrf.exempt  # checked below, with an answer the person can act on
def confirm(token: str) -> ResponseReturnValue:
    try:
        claim = subscriptions.CONFIRM.read(services().settings.verifying_keys, token)
        if not form_is_current():
            return _confirm_page(token, claim, error="this page was out of date; press the button again")
        try:
            with services().db.transaction() as session:
                found = subscriptions.confirm(session, claim, utcnow(), _services_chosen())
        except subscriptions.BadChoice as exc:
            return _confirm_page(token, claim, error=str(exc))
    except LinkProblem as exc:
        return refused_link(exc, _ASK_AGAIN)
    return _confirm_page(token, claim, found=found, done=True)


@bp.get("/status/unsubscribe/<token>")
def leave_page(token: str) -> ResponseReturnValue:
    """The subscription an update's link is about: the services it covers, to change, and the button that stops it."""
    try:
        claim = subscriptions.LEAVE.read(services().settings.verifying_keys, token)
    except LinkProblem as exc:
        return refused_link(exc, _stop_instead())
    return _leave_page(token, claim, saved=request.args.get("saved") == "1")


@bp.post("/status/unsubscribe/<token>/services")
@csrf.exempt  # checked below, with an answer the person can act on
def choose(token: str) -> ResponseReturnValue:
    """Change which services the updates are about."""
    try:
        claim = subscriptions.LEAVE.read(services().settings.verifying_keys, token)
        if not form_is_current():
            return _leave_page(token, claim, error="this page was out of date; save again")
        with services().db.transaction() as session:
            subscriptions.choose(session, claim, _services_chosen())
    except subscriptions.BadChoice as exc:
        return _leave_page(token, claim, error=str(exc))
    except LinkProblem as exc:
        return refused_link(exc, _stop_instead())
    return redirect(url_for(".leave_page", token=token, saved="1"), 303)


@bp.post("/status/unsubscribe/<token>")
@csrf.exempt  # a mail provider's one-click POST carries no token of ours; the signed link is the authority
def leave(token: str) -> ResponseReturnValue:
    """End the subscription: from the page's button, or a mail provider's `List-Unsubscribe=One-Click` POST."""
    try:
        claim = subscriptions.LEAVE.read(services().settings.verifying_keys, token)
    except LinkProblem as exc:
        return refused_link(exc, _stop_instead())
    with services().db.transaction() as session:
        subscriptions.leave(session, claim)
    return render_template("status/unsubscribe.html", address=claim.person, token=token, done=True)


def _wait(seconds: int, why: str) -> ResponseReturnValue:
    message = f"{why} Please try again in {-(-seconds // 60)} minutes."
    return link_problem(429, message, "Meanwhile, the status page itself is always current.",
                        heading="Please wait a little", headers={"Retry-After": str(seconds)})  # fmt: skip


def _services_chosen() -> list[str] | None:
    """The services ticked on a page's form; None when the form offered no choice (no public service)."""
    return request.form.getlist("service") if request.form.get("choosing") else None


def _confirm_page(
    token: str, claim: Claim, *, found: subscriptions.Subscriber | None = None, done: bool = False,
    error: str | None = None,
) -> ResponseReturnValue:  # fmt: skip
    with services().db.read() as session:
        found = found or subscriptions.subscription(session, claim)
        public = status_page.public_services(session)
    page = render_template("status/confirm.html", subscriber=found, token=token, public=public, done=done,
                           error=error)  # fmt: skip
    return page, 400 if error else 200


def _leave_page(token: str, claim: Claim, *, saved: bool = False, error: str | None = None) -> ResponseReturnValue:
    try:
        with services().db.read() as session:
            found = subscriptions.subscription(session, claim)
            public = status_page.public_services(session)
    except StaleLink:  # ended already: nothing to change or stop
        return render_template("status/unsubscribe.html", address=claim.person, token=token, done=True)
    page = render_template("status/unsubscribe.html", address=claim.person, token=token, subscriber=found,
                           public=public, saved=saved, error=error)  # fmt: skip
    return page, 400 if error else 200


def _stop_instead() -> str:
    desk = services().settings.desk_address
    return f"To stop the updates, write to {desk} and ask us to, or use the link in a newer update."
