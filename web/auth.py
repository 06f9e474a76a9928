"""Logging in and out of the web UI: Flask-Login sessions over hub.accounts' argon2 passwords (and, through
web/sso.py, the organisation's OpenID Connect provider, which ends in the same `begin`)."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hub import two_factor
from hub.accounts import FIRST_ADMIN_COMMAND, authenticate_user, has_users
from hub.credentials import password_fingerprint
from hub.durations import describe_duration
from hub.errors import StorageUnavailable
from hub.models import User
from hub.numbers import row_id
from hub.sso_logout import ProviderSession
from web import session_ends, sso_sessions
from web.extensions import login_manager
from web.ratelimit import login_client, login_failed, login_locked
from web.security import safe_next
from web.services import services

bp = Blueprint("auth", __name__)

#: The same words whether the email is unknown, the account disabled or the password wrong.
LOGIN_FAILED = "Wrong email or password."
#: With SWITCHBOARD_OIDC_ONLY a non-admin's right password fails too, in the same words, so the answer does not tell
#: a guesser that the password was right.
ADMINS_ONLY_FAILED = "Wrong email or password, or not an admin: only admins log in with a password here."
#: The session key marking a login through the identity provider, which did its own second factor (web/sso.py).
VIA_SSO = "via_sso"
#: The session key holding where "Log out" sends a login through the identity provider, to end its session there
#: too (its end_session_endpoint, web/sso.py); absent: back to the login page.
END_SESSION = "sso_end_session"
#: The session key holding a login whose password was right and whose second step is still owed.
PENDING = "two_factor_pending"
SECOND_STEP_SECONDS = 300.0
#: The session key holding when this browser logged in (epoch seconds), for SWITCHBOARD_SESSION_MAX_AGE.
LOGGED_IN_AT = "logged_in_at"


@dataclass(frozen=True)
class SessionUser(UserMixin):
    """The logged-in person as views see them: a plain value, not a database row tied to a closed session."""

    id: int
    email: str
    role: str
    key: str  # what the session cookie holds (session_key): the id, tied to the password it logged in with
    two_factor: bool = False  # whether logging in as them wants a second step: an authenticator code or a key
    timezone: str | None = None  # the zone their pages show times in (web/local_time.py); None: the installation's
    timeline_newest_first: bool = False  # how their incident pages order the timeline (web/timeline_order.py)

    def get_id(self) -> str:
        return self.key

    @classmethod
    def of(cls, user: User) -> SessionUser:
        # bool(): a user made in this very session (a first single sign-on) has no server default read back yet
        return cls(user.id, user.email, user.role, session_key(user), user.two_factor_on, user.timezone,
                   bool(user.timeline_newest_first))  # fmt: skip


def session_key(user: User) -> str:
    """`<id>:<fingerprint of the password hash, the authenticator secret and the security keys' stamp>`: a new
    password (changed, or reset by an admin), two-factor authentication turned on, off or reset, or a security key
    added or removed, ends every session logged in before, on every browser, as Flask-Login's "alternative tokens"
    advise. The secret as opened, not as stored: sealing it again (a new nonce, a new SECRET_KEY: `switchboard db
    reseal`) changes the stored text, and must log no one out."""
    secret = two_factor.secret_of(user, services().keys)
    stamp = user.security_keys_stamp or ""
    return f"{user.id}:{password_fingerprint(user.password_hash + (secret or '') + stamp)}"


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    # argon2 hashes whatever it is given: cap the length so a megabyte "password" cannot pin a worker.
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # every page needs a login; saying so on each redirect is noise
    login_manager.user_loader(load_user)


def load_user(key: str) -> SessionUser | None:
    """Reload the session's user on each UI request, so a disabled account, a changed role or a new password
    takes effect at once."""
    number = row_id(key.partition(":")[0])
    if number is None:
        return None
    with services().db.read() as db_session:
        user = db_session.get(User, number)
        if user is None or not user.active or not hmac.compare_digest(session_key(user).encode(), key.encode()):
            return None
        found = SessionUser.of(user)
    if outlived(time.time()):
        session.clear()
        limit = describe_duration(timedelta(seconds=services().settings.session_max_age))
        flash(f"A login lasts at most {limit}, however busy: log in again.", "info")
        return None
    if (why := _ended_early(found.id)) is not None:
        session.clear()
        flash(why, "info")
        return None
    return found


def _ended_early(user_id: int) -> str | None:
    """Why this session was ended before its time, or None (web/session_ends.py): it logged out (this is a copy of
    its cookie), its person logged out everywhere else, or the identity provider ended it. One Redis lookup."""
    logged_in_at = float(session.get(LOGGED_IN_AT, 0.0))
    marks = session_ends.own_marks(session, user_id, logged_in_at)
    oidc = services().settings.oidc
    if oidc is not None and session.get(VIA_SSO):
        marks += sso_sessions.marks(session, oidc.issuer, logged_in_at)
    mark = session_ends.ended(services().redis(), marks)
    if mark is None:
        return None
    if mark.cause == "provider":
        provider = oidc.name if oidc else "the identity provider"
        return f"You were logged out at {provider}, and so here too: log in again."
    if mark.cause == "everywhere":
        return "You logged out everywhere else from another browser, and so here too: log in again."
    return "This session was logged out: log in again."


def outlived(now: float) -> bool:
    """Whether this session has lasted longer than SWITCHBOARD_SESSION_MAX_AGE since its login, however busy it
    was. The idle limit alone would let a session in daily use, or a stolen cookie kept warm, last for ever, and a
    role or group taken away at the identity provider would never reach it (roles are read at each login). A
    session from before this limit counts from its first request since."""
    limit = services().settings.session_max_age
    started = session.setdefault(LOGGED_IN_AT, now)
    return limit > 0 and now - float(started) > limit


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"), url_for("incidents.index"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = LoginForm()
    error = None
    oidc = services().settings.oidc
    admins_only = oidc is not None and oidc.only
    if form.validate_on_submit():
        email = form.email.data or ""
        redis_client = services().redis()
        wait = login_locked(redis_client, email, login_client())
        if wait is not None:
            # Checked before the password, so guessing costs the guesser time and us no argon2 work.
            minutes = max(1, round(wait / 60))
            error = f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
            return _login_page(form, error), 429
        with services().db.read() as db_session:
            user = authenticate_user(db_session, email, form.password.data or "")
            found = SessionUser.of(user) if user is not None else None
        if found is None or (admins_only and found.role != "admin"):
            login_failed(redis_client, email, login_client())
            error = ADMINS_ONLY_FAILED if admins_only else LOGIN_FAILED
        elif found.two_factor:
            session.clear()
            session[PENDING] = {"key": found.key, "until": time.time() + SECOND_STEP_SECONDS, "next": next_url}
            return redirect(url_for("auth.second_step"))
        else:
            return begin(found, next_url)
    return _login_page(form, error, first_admin_command=_first_admin_command())


def _login_page(form: LoginForm, error: str | None, **context: object) -> str:
    oidc = services().settings.oidc
    return render_template("login.html", form=form, error=error, sso_name=oidc.name if oidc else None,
                           admins_only=oidc is not None and oidc.only, **context)  # fmt: skip


def begin(
    user: SessionUser,
    next_url: str,
    *,
    via_sso: bool = False,
    end_session: str | None = None,
    provider_session: ProviderSession | None = None,
) -> ResponseReturnValue:
    """Log this browser in afresh, keeping nothing from the session before (a fixated or half-done login).
    `via_sso` marks a login the identity provider vouched for: it asks for no authenticator code of ours;
    `end_session` is the provider's address that "Log out" then sends the browser to; `provider_session` its
    names for the login, by which it can end this session from its side (web/sso_sessions.py). A session this
    browser had (a login again, to prove it is them) ends, copies of its cookie with it."""
    end_this_session()
    relogin(user)
    if via_sso:
        session[VIA_SSO] = True
    if end_session is not None:
        session[END_SESSION] = end_session
    if provider_session is not None:
        sso_sessions.keep(session, provider_session)
    return redirect(next_url)


def end_this_session() -> None:
    """Mark this browser's session ended, so a copy of its cookie kept from before is refused from now on."""
    logged_in_at = session.get(LOGGED_IN_AT)
    if isinstance(logged_in_at, (int, float)) and "_user_id" in session:
        max_age = services().settings.session_max_age
        session_ends.end_session(services().redis(), session, float(logged_in_at), time.time(), max_age)


def relogin(user: SessionUser) -> None:
    """A fresh session for `user` in this browser: after a login, or after a change of password or two-factor that
    ended every other session (the session key moved, web/auth.py::session_key)."""
    session.clear()
    login_user(user)
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME of inactivity
    session[LOGGED_IN_AT] = time.time()  # and SWITCHBOARD_SESSION_MAX_AGE after this, however busy (`outlived`)
    session_ends.start(session)  # and at its logout, every copy of the cookie (`logout`)


def own_password_refused(db_session: Session, email: str, password: str) -> Literal["locked", "wrong"] | None:
    """Why the logged-in person's retyped password does not confirm a change of their account, or None when it
    does. The login's limit holds here too, and a wrong one counts against it: a borrowed session must not become
    a way to guess."""
    redis_client = services().redis()
    if login_locked(redis_client, email, login_client()) is not None:
        return "locked"
    if authenticate_user(db_session, email, password) is None:
        login_failed(redis_client, email, login_client())
        return "wrong"
    return None


class SecondStepForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=40)])


#: What a second step that waited too long is told; the key's login (web/security_keys.py) says it too.
SECOND_STEP_LATE = "Log in again: the second step must follow the password within five minutes."


@bp.route("/login/code", methods=["GET", "POST"])
def second_step() -> ResponseReturnValue:
    """The second step after a right password, for accounts with two-factor on: a security key (its button calls
    web/security_keys.py) or the authenticator code, as the account has them, or a recovery code, whichever they
    have. The password's success is held in the session for a few minutes only, and wrong codes count against the
    same limit as wrong passwords, so the six digits cannot be guessed at leisure."""
    pending = pending_login()
    if pending is None:
        session.pop(PENDING, None)
        flash(SECOND_STEP_LATE, "info")
        return redirect(url_for("auth.login"))
    user, next_url = pending
    form = SecondStepForm()
    refused = False
    if form.validate_on_submit():
        redis_client = services().redis()
        if (locked := second_step_locked(user.email)) is not None:
            session.pop(PENDING, None)
            flash(locked, "error")
            return redirect(url_for("auth.login"))
        with services().db.transaction() as db_session:
            method = two_factor.check(db_session, user.id, form.code.data or "", time.time(), keys=services().keys)
            left = two_factor.standing(db_session, user.id).recovery_left if method == "recovery" else None
        if method is None:
            login_failed(redis_client, user.email, login_client())
            refused = True
        else:
            response = begin(user, next_url)
            if left is not None:  # after begin(): a fresh session keeps no earlier flash
                flash(f"You logged in with a recovery code; {left} left. Make new ones on your account page.", "info")
            return response
    with services().db.read() as db_session:
        row = db_session.get(User, user.id)
        has_code, has_key = row is not None and row.totp_secret is not None, row is not None and row.has_security_key
    error = None
    if refused:
        error = "That code is not right, or was used already." + (" Type the code your app shows now." if has_code
                                                                  else "")  # fmt: skip
    status = 400 if error else 200
    return render_template("login_code.html", form=form, error=error, email=user.email, has_code=has_code,
                           has_key=has_key), status  # fmt: skip


def second_step_locked(email: str) -> str | None:
    """What to say when this address or client is locked out of logging in for now, else None."""
    wait = login_locked(services().redis(), email, login_client())
    if wait is None:
        return None
    minutes = max(1, round(wait / 60))
    return f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def pending_login() -> tuple[SessionUser, str] | None:
    """The person whose password was right and where they were going, if that was minutes ago and nothing about
    their login changed since."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("until"), float) or pending["until"] < time.time():
        return None
    user = load_user(str(pending.get("key", "")))
    return (user, str(pending.get("next", "/"))) if user is not None and user.two_factor else None


def _first_admin_command() -> str | None:
    """The command that creates the first account, while there is none: a fresh install has no sign-up page, and
    a login form that nothing can get past would leave people guessing."""
    try:
        with services().db.read() as db_session:
            return None if has_users(db_session) else FIRST_ADMIN_COMMAND
    except StorageUnavailable:
        return None  # the form still shows; logging in will say the database is down


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """A POST with the CSRF token, so another site cannot log people out with a link or an image. A login through
    the identity provider is ended there too, when it said where (which then sends the browser back to the login
    page): otherwise the next "Log in with" would log them straight back in without asking. Copies of the session
    cookie end too (web/session_ends.py), while Redis answers."""
    end_session = session.get(END_SESSION)
    end_this_session()
    logout_user()
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(end_session if isinstance(end_session, str) else url_for("auth.login"))


def log_out_everywhere_else(user: SessionUser) -> bool:
    """End every other session of `user`, in every browser, and keep this one; say whether Redis took the mark
    (if not, nothing changed)."""
    settings = services().settings
    return session_ends.end_all_before(services().redis(), session, user.id, time.time(), settings.session_max_age)
