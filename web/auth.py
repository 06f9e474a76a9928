"""Logging in and out of the web UI: Flask-Login sessions over hub.accounts' argon2 passwords."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from hub.accounts import FIRST_ADMIN_COMMAND, authenticate_user, has_users
from hub.credentials import password_fingerprint
from hub.errors import StorageUnavailable
from hub.models import User
from hub.numbers import row_id
from web.extensions import login_manager
from web.ratelimit import login_failed, login_locked
from web.security import safe_next
from web.services import services

bp = Blueprint("auth", __name__)

#: The same words whether the email is unknown, the account disabled or the password wrong.
LOGIN_FAILED = "Wrong email or password."


@dataclass(frozen=True)
class SessionUser(UserMixin):
    """The logged-in person as views see them: a plain value, not a database row tied to a closed session."""

    id: int
    email: str
    role: str
    key: str  # what the session cookie holds (session_key): the id, tied to the password it logged in with

    def get_id(self) -> str:
        return self.key

    @classmethod
    def of(cls, user: User) -> SessionUser:
        return cls(user.id, user.email, user.role, session_key(user))


def session_key(user: User) -> str:
    """`<id>:<fingerprint of the password hash>`: a new password (changed, or reset by an admin) ends every session
    logged in with the old one, on every browser, as Flask-Login's "alternative tokens" advise."""
    return f"{user.id}:{password_fingerprint(user.password_hash)}"


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
        return SessionUser.of(user)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"), url_for("incidents.index"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data or ""
        redis_client = services().redis()
        wait = login_locked(redis_client, email)
        if wait is not None:
            # Checked before the password, so guessing costs the guesser time and us no argon2 work.
            minutes = max(1, round(wait / 60))
            error = f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
            return render_template("login.html", form=form, error=error), 429
        with services().db.read() as db_session:
            user = authenticate_user(db_session, email, form.password.data or "")
            found = SessionUser.of(user) if user is not None else None
        if found is None:
            login_failed(redis_client, email)
            error = LOGIN_FAILED
        else:
            session.clear()  # start the logged-in session afresh, keeping nothing from before
            login_user(found)
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME of inactivity
            return redirect(next_url)
    return render_template("login.html", form=form, error=error, first_admin_command=_first_admin_command())


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
    """A POST with the CSRF token, so another site cannot log people out with a link or an image."""
    logout_user()
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))
