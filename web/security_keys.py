"""Security keys and passkeys (WebAuthn): registering, renaming and removing yours on /account, and logging in with
one as the second step after a right password (hub/security_keys.py keeps them; hub/webauthn_checks.py checks).

The browser's side is web/static/security_keys.js: it asks for options, hands them to navigator.credentials, and
posts the answer as JSON with the page's CSRF token in a header. Each ceremony's challenge waits on the server and
this browser's session keeps only its reference. Adding or removing a key changes the session key, so every
other browser logged in as you is logged out, as with two-factor turned on or off. The first key's answer carries
the recovery codes that came with it, which the script shows once before going on (a JSON answer, not a page: the
browser's call is a fetch).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from hub import audit, security_keys, two_factor
from hub.errors import BadInput
from hub.models import User
from hub.webauthn_checks import ClonedKey, RelyingParty, relying_party
from web.auth import (
    SECOND_STEP_LATE,
    SessionUser,
    begin,
    own_password_refused,
    pending_login,
    relogin,
    second_step_locked,
)
from web.ratelimit import login_client, login_failed
from web.responses import sentence
from web.services import services
from web.two_factor import PasswordForm, password_right

bp = Blueprint("security_keys", __name__)

#: Session keys holding the reference of the challenge this browser was handed, never the challenge itself.
REGISTERING = "security_key_registering"
LOGGING_IN = "security_key_logging_in"
#: Options carry a one-time challenge: no cache keeps them.
_JSON = {"Content-Type": "application/json", "Cache-Control": "no-store"}


class RenameForm(FlaskForm):
    name = StringField("New name", validators=[DataRequired(), Length(max=security_keys.MAX_NAME)])


def _rp() -> RelyingParty:
    return relying_party(services().settings.public_url, request.host_url)


def _refused(message: str, status: int = 400) -> ResponseReturnValue:
    return jsonify(error=sentence(message)), status


def _answer() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


@bp.post("/account/security-keys/options")
@login_required
def register_options() -> ResponseReturnValue:
    """What navigator.credentials.create() needs to make a key for you here, with a fresh challenge, once the
    password typed beside the button is right: adding a key changes how you log in, as removing one does, and a
    borrowed session adding its own would keep the recovery codes and lock the person out."""
    from hub import webauthn_checks  # py_webauthn: only for the requests of people using keys

    typed = (_answer() or {}).get("password")
    with services().db.read() as db_session:
        refused = own_password_refused(db_session, current_user.email, typed if isinstance(typed, str) else "")
    if refused == "locked":
        return _refused("too many wrong passwords; try again later", 429)
    if refused == "wrong":
        return _refused("that is not your password; type it beside the button to add a key")
    with services().db.transaction() as db_session:
        have = [security_keys.stored(key) for key in security_keys.keys_of(db_session, current_user.id)]
        made = security_keys.new_challenge(db_session, current_user.id, "register", time.time())
    session[REGISTERING] = made.ref
    options = webauthn_checks.registration_options(_rp(), current_user.id, current_user.email, made.value, have)
    return options, 200, _JSON


@bp.post("/account/security-keys")
@login_required
def register() -> ResponseReturnValue:
    """Keep the key that answered this browser's challenge, under the name typed beside the button; with the
    recovery codes to show once when it is the person's first second factor."""
    body = _answer()
    if body is None or not isinstance(body.get("credential"), dict):
        return _refused("the browser sent no key; press the button again")
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    error: BadInput | None = None
    with services().db.transaction() as db_session:
        try:
            added = security_keys.add(db_session, current_user.id, str(name), _rp(), session.get(REGISTERING),
                                      body["credential"], time.time())  # fmt: skip
            audit.record(db_session, current_user.email, "user.key_add", current_user.email, key=added.name)
            fresh = SessionUser.of(_user(db_session))
        except BadInput as exc:  # caught inside: the challenge taken stays used
            error = exc
    session.pop(REGISTERING, None)
    if error is not None:
        return _refused(str(error))
    relogin(fresh)
    flash(f"Security key {added.name!r} added. Every other session logged in as you has ended.", "success")
    back = url_for("account.index", _anchor="security-keys")
    if added.recovery_codes:
        return jsonify(redirect=back, recovery_codes=added.recovery_codes), 200, {"Cache-Control": "no-store"}
    return jsonify(redirect=back)


@bp.post("/account/security-keys/<int:key_id>/rename")
@login_required
def rename(key_id: int) -> ResponseReturnValue:
    """Give one of your keys another name. How you log in does not change, so no password is asked for and no
    session ends."""
    form = RenameForm()
    back = redirect(url_for("account.index", _anchor="security-keys"), code=303)
    if not form.validate_on_submit():
        flash("Not renamed: " + " ".join(form.name.errors or ["the form had expired; try again."]), "error")
        return back
    try:
        with services().db.transaction() as db_session:
            was, name = security_keys.rename(db_session, current_user.id, key_id, form.name.data or "")
            if name != was:
                audit.record(db_session, current_user.email, "user.key_rename", current_user.email, key=name, was=was)
    except BadInput as exc:
        flash(f"Not renamed: {exc}.", "error")
        return back
    flash(f"Security key {was!r} is now {name!r}." if name != was else f"{name!r} keeps its name.", "success")
    return back


@bp.post("/account/security-keys/<int:key_id>/remove")
@login_required
def remove(key_id: int) -> ResponseReturnValue:
    """Remove one of your keys; wants your password, as every change to how you log in does. Your last second
    factor stays where your role requires one."""
    form = PasswordForm()
    back = redirect(url_for("account.index", _anchor="security-keys"), code=303)
    if not (form.validate_on_submit() and password_right(form)):
        flash("Not removed: " + " ".join(form.password.errors or ["type your password."]), "error")
        return back
    try:
        with services().db.transaction() as db_session:
            name = security_keys.remove(db_session, current_user.id, key_id)
            user = _user(db_session)
            required = two_factor.required(current_user.role, services().settings.two_factor_roles)
            if required and not user.two_factor_on:
                raise BadInput(f"two-factor authentication is required of every {current_user.role}: set up the "
                               "authenticator app or add another key before removing this one")  # fmt: skip
            audit.record(db_session, current_user.email, "user.key_remove", current_user.email, key=name)
            fresh = SessionUser.of(user)
    except BadInput as exc:
        flash(f"Not removed: {exc}.", "error")
        return back
    relogin(fresh)
    flash(f"Security key {name!r} removed. Every other session logged in as you has ended.", "success")
    return back


def _user(db_session: Any) -> User:
    user = db_session.get(User, current_user.id)
    if user is None:
        raise BadInput("your account no longer exists")
    return user


@bp.post("/login/key/options")
def login_options() -> ResponseReturnValue:
    """What navigator.credentials.get() needs to sign this login's challenge with one of the person's keys, for a
    browser whose password was right minutes ago."""
    from hub import webauthn_checks

    pending = pending_login()
    if pending is None:
        return _refused(SECOND_STEP_LATE.rstrip("."), 401)
    user = pending[0]
    with services().db.transaction() as db_session:
        keys = [security_keys.stored(key) for key in security_keys.keys_of(db_session, user.id)]
        made = security_keys.new_challenge(db_session, user.id, "login", time.time()) if keys else None
    if made is None:
        return _refused("this account has no security key; type a code instead")
    session[LOGGING_IN] = made.ref
    return webauthn_checks.authentication_options(_rp(), made.value, keys), 200, _JSON


@bp.post("/login/key")
def login() -> ResponseReturnValue:
    """Log in once the key signed this browser's challenge. A refused answer counts against the login's limit,
    as a wrong code does; a key whose counter went back (a copy of it in use elsewhere) is refused, flagged on its
    owner's account page, and audited."""
    pending = pending_login()
    if pending is None:
        return _refused(SECOND_STEP_LATE.rstrip("."), 401)
    user, next_url = pending
    if (locked := second_step_locked(user.email)) is not None:
        session.clear()
        return _refused(locked.rstrip("."), 429)
    body = _answer()
    ref = session.pop(LOGGING_IN, None)
    error: BadInput | None = None
    with services().db.transaction() as db_session:
        try:
            security_keys.check(db_session, user.id, _rp(), ref, body or {}, time.time())
        except security_keys.CopiedKey as exc:
            reason = security_keys.COPY_SUSPECTED
            audit.record(db_session, user.email, "user.key_refused", user.email, key=exc.key, reason=reason)
            error = exc
        except ClonedKey as exc:
            reason = "used by another login at the same moment"
            audit.record(db_session, user.email, "user.key_refused", user.email, reason=reason)
            error = exc
        except BadInput as exc:  # caught inside: the challenge taken stays used
            error = exc
    if error is not None:
        login_failed(services().redis(), user.email, login_client())
        if isinstance(error, ClonedKey):
            return _refused(f"{error}. The key is refused: log in another way, remove it and tell your admin", 403)
        return _refused(f"{error}; press the button to try again")
    begin(user, next_url)
    return jsonify(redirect=next_url)
