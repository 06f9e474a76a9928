"""Two-factor authentication for people who log in: the authenticator app turned on and off, the second step checked.

A password alone is one phished or reused secret away from the whole desk. With this on, logging in also wants the
six-digit code of an authenticator app (hub/totp.py), a security key (hub/security_keys.py), or one of the recovery
codes that stand in for either (hub/recovery_codes.py). Every check that consumes something (a code's step, a
recovery code) is one conditional UPDATE, so two logins racing with the same code cannot both win, on SQLite as on
PostgreSQL. The authenticator secret is kept sealed (hub/sealed.py):
`secret_of` is the one place it is opened.

While someone sets it up, the new secret waits on their user row, sealed as well (`start_setup`): not in the
browser's session, which Flask signs but does not encrypt, so a cookie seen in a proxy log or a shared browser
profile would give the secret away; nor in Redis, which an installation may run without (the web app then has
none) and which would keep it readable in its snapshots. The browser keeps only an opaque reference to the setup
it shows, so one started again elsewhere, or expired, is told apart from a wrong code. One left unconfirmed is
cleared by the retention chore once expired (`forget_expired_setups`), so its sealed secret does not wait in the
database (and its backups) until its owner happens to start again.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub import accounts, recovery_codes, sealed, security_keys, totp
from hub.db import Database
from hub.errors import BadInput
from hub.models import User, utcnow
from hub.sealed import Keyring

Method = Literal["code", "recovery"]
SECRET = sealed.Column(
    "users.totp_secret",
    "the two-factor authenticator secret",
    "turn two-factor authentication off for its owner (`switchboard user reset-2fa <email>`); they set it up again",
)
PENDING = sealed.Column(
    "users.totp_pending",
    "the two-factor secret being set up",
    "its owner starts setting up two-factor authentication again (a new key replaces it)",
)
#: How long a key shown for setup waits for its first code: time to find the phone and the app, but a setup page
#: left open on a shared machine does not keep a usable secret for long.
SETUP_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Standing:
    """What the account page says about one person's second step."""

    on: bool
    since: datetime | None
    recovery_left: int


@dataclass(frozen=True)
class Setup:
    """A new secret shown to be scanned, and the reference the browser showing it keeps (not the secret)."""

    secret: str
    ref: str


class SetupGone(BadInput):
    """The setup a browser shows is not the one waiting: it expired, or was started again elsewhere. Not a wrong
    code: the person must scan a new key, and the message says so."""


def required(role: str, roles: Collection[str]) -> bool:
    """Whether the operator requires it of this role (SWITCHBOARD_REQUIRE_2FA)."""
    return role in roles


def standing(session: Session, user_id: int) -> Standing:
    user = accounts.user_by_id(session, user_id)
    return Standing(user.totp_secret is not None, user.two_factor_since, recovery_codes.left(session, user_id))


def secret_of(user: User, keys: Keyring) -> str | None:
    """The user's authenticator secret, opened (None while two-factor is off). Raises sealed.CannotOpen, saying what
    to do, when it was sealed under a SECRET_KEY this process lacks or was altered."""
    return None if user.totp_secret is None else sealed.unseal(keys, user.totp_secret, SECRET.at(user.id))


def start_setup(session: Session, user_id: int, now: float, *, keys: Keyring) -> Setup:
    """A new secret to show, kept sealed on the user until a code confirms it (`confirm_setup`). It replaces any
    setup under way, so the key another browser or tab shows stops counting: the latest one started wins."""
    user = accounts.user_by_id(session, user_id)
    if user.totp_secret is not None:
        raise BadInput("two-factor authentication is already on for this account")
    setup = Setup(totp.new_secret(), secrets.token_urlsafe(16))
    user.totp_pending = sealed.seal(keys, setup.secret, PENDING.at(user_id))
    user.totp_pending_ref, user.totp_pending_at = setup.ref, datetime.fromtimestamp(now, UTC)
    session.flush()
    return setup


def pending_setup(session: Session, user_id: int, ref: str | None, now: float, *, keys: Keyring) -> Setup:
    """The setup the browser keeping `ref` shows, still waiting for its code. Raises SetupGone, saying what to do,
    when that browser has none, another was started since, it expired, or it no longer opens (a lost SECRET_KEY:
    a new setup is the remedy, as for the others)."""
    user = accounts.user_by_id(session, user_id)
    stored, started = user.totp_pending, user.totp_pending_at
    if ref is None or stored is None or started is None:
        raise SetupGone("no setup is waiting for a code in this browser")
    if not hmac.compare_digest(ref, user.totp_pending_ref or ""):
        raise SetupGone("setup was started again in another browser or tab, so the key shown here no longer counts")
    if datetime.fromtimestamp(now, UTC) - started >= SETUP_FOR:
        minutes = SETUP_FOR // timedelta(minutes=1)
        raise SetupGone(f"this key expired: a setup waits {minutes} minutes for the first code from the app")
    try:
        return Setup(sealed.unseal(keys, stored, PENDING.at(user_id)), ref)
    except sealed.CannotOpen:
        raise SetupGone("the key shown here can no longer be read (SECRET_KEY changed since)") from None


def confirm_setup(
    session: Session, user_id: int, ref: str | None, typed: str, now: float, *, keys: Keyring
) -> list[str]:
    """Turn it on with the setup the browser keeping `ref` shows, once `typed` proves the app holds its secret."""
    return turn_on(session, user_id, pending_setup(session, user_id, ref, now, keys=keys).secret, typed, now, keys=keys)


def turn_on(session: Session, user_id: int, secret: str, typed: str, now: float, *, keys: Keyring) -> list[str]:
    """Keep the secret once a code from it proves the app holds it; return the recovery codes to show once, or none
    when the person has theirs already (from a security key), which stay good. Any setup under way is over."""
    user = accounts.user_by_id(session, user_id)
    if user.totp_secret is not None:
        raise BadInput("two-factor authentication is already on for this account")
    step = totp.accepted_step(secret, typed, now)
    if step is None:
        raise BadInput("that code does not match; check the phone's clock and type the code the app shows now")
    user.totp_secret, user.totp_step = sealed.seal(keys, secret, SECRET.at(user_id)), step
    user.two_factor_since = utcnow()
    _forget_setup(user)
    return recovery_codes.issue_if_none(session, user_id)


def _forget_setup(user: User) -> None:
    user.totp_pending = user.totp_pending_ref = user.totp_pending_at = None


def forget_expired_setups(db: Database, now: datetime | None = None) -> int:
    """Clear the setups no code confirmed within SETUP_FOR (hub/retention.py's chore); returns how many. The
    setup page then finds none and shows a new key, as it would for one expired."""
    expired = User.totp_pending_at <= (now or utcnow()) - SETUP_FOR  # expired as pending_setup judges it
    with db.write() as conn:
        cleared = update(User).where(expired).values(totp_pending=None, totp_pending_ref=None, totp_pending_at=None)
        return conn.execute(cleared).rowcount


def turn_off(session: Session, user_id: int) -> User:
    """Forget the secret (the person's own choice, or an admin's reset for a lost phone), and the recovery codes
    unless a security key is left for them to stand in for."""
    user = accounts.user_by_id(session, user_id)
    user.totp_secret = user.totp_step = user.two_factor_since = None
    _forget_setup(user)
    recovery_codes.drop_unless_needed(session, user_id)
    return user


def reset(session: Session, user_id: int) -> tuple[User, int]:
    """An admin's reset for someone who lost their second factors: the authenticator app, the recovery codes and
    every security key go (and with them every session of theirs); how many keys there were, for the audit."""
    keys = security_keys.remove_all(session, user_id)
    return turn_off(session, user_id), keys


def check(session: Session, user_id: int, typed: str, now: float, *, keys: Keyring) -> Method | None:
    """Whether `typed` is the second step for this user: a current authenticator code not used before, or an
    unused recovery code (then used up), whichever second factors they have. None when it is neither."""
    user = accounts.user_by_id(session, user_id)
    secret = secret_of(user, keys)
    if secret is not None and len(totp.normalise(typed)) == totp.DIGITS:
        step = totp.accepted_step(secret, typed, now, after=user.totp_step)
        if step is None:
            return None
        # Compare-and-set: of two logins racing with one code, only the first moves the step on.
        won = session.execute(
            update(User)
            .where(User.id == user_id, (User.totp_step.is_(None)) | (User.totp_step < step))
            .values(totp_step=step)
            .execution_options(synchronize_session=False)
        )
        return "code" if won.rowcount == 1 else None  # type: ignore[attr-defined]
    return "recovery" if recovery_codes.use(session, user_id, typed) else None
