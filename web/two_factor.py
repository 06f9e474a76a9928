"""Your two-factor authentication: turning it on with an authenticator app, new recovery codes, turning it off;
and, where the operator requires it of a role (SWITCHBOARD_REQUIRE_2FA), nothing else until it is on. A session
that logged in through the organisation's identity provider (web/sso.py) is not sent to set it up: the provider
asked for its own second factor.

Turning it on or off changes the session key (web/auth.py), so every other browser logged in as you is logged out
and this one is logged in again, as with a new password.

Recovery codes just made (the first with the app, or new ones for old) are shown on the account page the POST
redirects to, once (web/shown_once.py): a reload there asks for the page again, not for more codes, so those shown
are the ones that work.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hub import accounts, audit, totp, two_factor
from hub.errors import BadInput
from hub.models import User
from hub.recovery_codes import renew as renew_recovery_codes
from hub.two_factor import Setup, SetupGone
from web import shown_once
from web.auth import VIA_SSO, SessionUser, own_password_refused, relogin
from web.ratelimit import login_client, login_failed
from web.responses import sentence
from web.services import services

bp = Blueprint("two_factor", __name__, url_prefix="/account/two-factor")

#: The session key holding which setup this browser shows (hub/two_factor.py::Setup.ref), never its secret: the
#: session cookie is signed, not encrypted, and the secret waits sealed on the server.
SETUP = "two_factor_setup"
#: The page recovery codes just made are kept for (web/shown_once.py): the account page, which shows them once.
CODES_SHOWN = "account.recovery_codes"
#: What someone who must turn it on may still reach before they have: the setup page offers a security key too.
_ALWAYS_ALLOWED = frozenset(
    {"two_factor.setup", "security_keys.register_options", "security_keys.register", "auth.logout", "static"}
)


class PasswordForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=accounts.MAX_PASSWORD)])


class PasswordAndCodeForm(PasswordForm):
    """The password and a code from the app: what turning the app on or off wants."""

    code = StringField("Code from the app", validators=[DataRequired(), Length(max=40)])


@dataclass(frozen=True)
class NewCodes:
    """Recovery codes just made, for the account page to show this once; `first`: they came with turning it on."""

    codes: tuple[str, ...]
    first: bool


def _show_codes(codes: list[str], *, first: bool) -> ResponseReturnValue:
    """Keep the codes for the account page and send the browser there (Post/Redirect/Get)."""
    shown_once.keep(CODES_SHOWN, "first" if first else "renewed", " ".join(codes))
    return redirect(url_for("account.index", _anchor="new-recovery-codes"), code=303)


def new_codes() -> NewCodes | None:
    """The recovery codes kept for the account page, taken out of the session: this read is their only one."""
    shown = shown_once.take(CODES_SHOWN)
    return None if shown is None else NewCodes(tuple(shown.secret.split()), first=shown.name == "first")


def init_app(app: Flask) -> None:
    app.before_request(_enrol_first)


def must_enrol() -> bool:
    """Whether the logged-in person's role requires two-factor authentication and they have not turned it on (a
    login through the identity provider has had the provider's own)."""
    roles = services().settings.two_factor_roles
    if not roles or current_user.two_factor or session.get(VIA_SSO):
        return False
    return two_factor.required(current_user.role, roles)


def _enrol_first() -> ResponseReturnValue | None:
    """Send someone who must turn it on to the setup page from every other page. Requests without a session cookie
    (webhooks, the API, public pages) are not looked at."""
    if not services().settings.two_factor_roles or "_user_id" not in session or request.endpoint in _ALWAYS_ALLOWED:
        return None
    if current_user.is_authenticated and must_enrol():
        return redirect(url_for("two_factor.setup"))
    return None


def password_right(form: PasswordForm) -> bool:
    """The password check of web/account.py: counted against the login limit, so a borrowed session cannot guess."""
    with services().db.read() as db_session:
        refused = own_password_refused(db_session, current_user.email, form.password.data or "")
    if refused == "locked":
        form.password.errors = ["Too many wrong passwords; try again later."]
    elif refused == "wrong":
        form.password.errors = ["That is not your password; nothing changed."]
    return refused is None


def _app_on() -> bool:
    """Whether the logged-in person has the authenticator app on (current_user.two_factor also counts keys)."""
    with services().db.read() as db_session:
        user = db_session.get(User, current_user.id)
        return user is not None and user.totp_secret is not None


def _has_key() -> bool:
    with services().db.read() as db_session:
        user = db_session.get(User, current_user.id)
        return user is not None and user.has_security_key


def _user(db_session: Session) -> User:
    user = db_session.get(User, current_user.id)
    if user is None:
        raise BadInput("your account no longer exists")
    return user


@bp.route("", methods=["GET", "POST"])
@login_required
def setup() -> ResponseReturnValue:
    """Show a new secret as a QR code and as text, and turn it on once a code from the app proves the app holds it
    and the password proves the person is at the keyboard: a borrowed session turning it on with its own app would
    keep the recovery codes and lock the person out. A reload shows the same key (it may have been scanned
    already); a key that expired or was replaced by a setup started elsewhere is replaced here too, with a word
    saying so."""
    if _app_on():
        return redirect(url_for("account.index"))
    form, now, keys = PasswordAndCodeForm(), time.time(), services().keys
    shown_before = session.get(SETUP)
    status, valid = 200, form.validate_on_submit()
    if valid and not password_right(form):
        status = 400
    elif valid:
        try:
            with services().db.transaction() as db_session:
                code = form.code.data or ""
                codes = two_factor.confirm_setup(db_session, current_user.id, shown_before, code, now, keys=keys)
                audit.record(db_session, current_user.email, "user.2fa_on", current_user.email)
                fresh = SessionUser.of(_user(db_session))
        except SetupGone as gone:
            form.code.errors = [_scan_anew(gone)]
            status = 400
        except BadInput as exc:
            form.code.errors = [sentence(str(exc))]
            status = 400
        else:
            relogin(fresh)  # a new session: the setup's reference goes with the old one
            if codes:
                return _show_codes(codes, first=True)
            flash("The authenticator app is on; your recovery codes stay as they were. Every other session logged "
                  "in as you has ended.", "success")  # fmt: skip
            return redirect(url_for("account.index", _anchor="two-factor"), code=303)
    elif form.is_submitted():
        status = 400
    shown, lost = _shown(now)
    notice = _scan_anew(lost) if lost is not None and shown_before is not None and not form.code.errors else None
    uri = totp.provisioning_uri(shown.secret, current_user.email)
    qr = _qr_code(uri)
    return render_template("account/two_factor_setup.html", form=form, secret=totp.grouped(shown.secret), qr=qr,
                           uri=uri, required=must_enrol(), notice=notice), status  # fmt: skip


def _shown(now: float) -> tuple[Setup, SetupGone | None]:
    """The setup this browser shows: the one it started, still waiting; else a new one (replacing any other
    browser's), with why the one it had is gone."""
    keys, ref = services().keys, session.get(SETUP)
    with services().db.transaction() as db_session:
        try:
            return two_factor.pending_setup(db_session, current_user.id, ref, now, keys=keys), None
        except SetupGone as gone:
            fresh = two_factor.start_setup(db_session, current_user.id, now, keys=keys)
            why = gone
    session[SETUP] = fresh.ref
    return fresh, why


def _qr_code(uri: str) -> str:
    """The authenticator's QR code as an SVG data URI, for the setup page's <img>."""
    import segno  # here, not at the top: only setting up an authenticator draws one, so workers start without it

    found: str = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return found


def _scan_anew(gone: SetupGone) -> str:
    return (f"{sentence(str(gone))} Scan the new key on this page into your app (remove the old one there) and "
            "type the code it shows.")  # fmt: skip


@bp.post("/recovery-codes")
@login_required
def recovery_codes() -> ResponseReturnValue:
    """Ten new recovery codes for ten old ones (some used, or the paper lost), for anyone with a second factor of
    either kind; wants the password. The account page it redirects to shows them once."""
    form = PasswordForm()
    if not current_user.two_factor:
        return redirect(url_for("two_factor.setup"))
    if form.validate_on_submit() and password_right(form):
        with services().db.transaction() as db_session:
            codes = renew_recovery_codes(db_session, current_user.id)
            audit.record(db_session, current_user.email, "user.2fa_codes", current_user.email)
        return _show_codes(codes, first=False)
    flash("No new codes: " + " ".join(form.password.errors or ["type your password."]), "error")
    return redirect(url_for("account.index", _anchor="recovery-codes"), code=303)


@bp.post("/off")
@login_required
def turn_off() -> ResponseReturnValue:
    """Turning it off wants both the password and a code, so neither a borrowed session nor a stolen password can."""
    form = PasswordAndCodeForm()
    if not _app_on():
        return redirect(url_for("account.index"), code=303)
    if two_factor.required(current_user.role, services().settings.two_factor_roles) and not _has_key():
        flash(f"Two-factor authentication stays on: it is required of every {current_user.role}.", "error")
        return redirect(url_for("account.index"), code=303)
    if not (form.validate_on_submit() and password_right(form)):
        flash("Still on: " + " ".join(form.password.errors or ["type your password and a code."]), "error")
        return redirect(url_for("account.index"), code=303)
    with services().db.transaction() as db_session:
        code, keys = form.code.data or "", services().keys
        if two_factor.check(db_session, current_user.id, code, time.time(), keys=keys) is None:
            login_failed(services().redis(), current_user.email, login_client())
            flash("Still on: that code is not right, or was used already.", "error")
            return redirect(url_for("account.index"), code=303)
        fresh = SessionUser.of(two_factor.turn_off(db_session, current_user.id))
        audit.record(db_session, current_user.email, "user.2fa_off", current_user.email)
    relogin(fresh)
    what = "The authenticator app is off; your security keys and recovery codes still count." if fresh.two_factor else (
        "Two-factor authentication is off.")  # fmt: skip
    flash(f"{what} Every other session logged in as you has ended.", "success")
    return redirect(url_for("account.index"), code=303)
