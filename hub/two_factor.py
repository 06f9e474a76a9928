"""Two-factor authentication for people who log in: turning it on, checking the second step, recovery codes.

A password alone is one phished or reused secret away from the whole desk. With this on, logging in also wants the
six-digit code of an authenticator app (hub/totp.py), or one of ten recovery codes for a lost phone. Every check
that consumes something (a code's step, a recovery code) is one conditional UPDATE, so two logins racing with the
same code cannot both win, on SQLite as on PostgreSQL. The authenticator secret is kept sealed (hub/sealed.py):
`secret_of` is the one place it is opened.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hub import sealed, totp
from hub.errors import BadInput
from hub.models import RecoveryCode, User, utcnow
from hub.sealed import Keyring

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read off paper

Method = Literal["code", "recovery"]
SECRET = sealed.Column(
    "users.totp_secret",
    "the two-factor authenticator secret",
    "turn two-factor authentication off for its owner (`switchboard user reset-2fa <email>`); they set it up again",
)


@dataclass(frozen=True)
class Standing:
    """What the account page says about one person's second step."""

    on: bool
    since: datetime | None
    recovery_left: int


def required(role: str, roles: Collection[str]) -> bool:
    """Whether the operator requires it of this role (SWITCHBOARD_REQUIRE_2FA)."""
    return role in roles


def _digest(code: str) -> str:
    return hashlib.sha256(_plain(code).encode()).hexdigest()


def _plain(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_codes() -> list[str]:
    """Ten codes of ten characters (about 49 bits each): guessing is bounded by the login's attempt limit long
    before it could succeed, so a fast digest suffices to keep them unreadable in a backup."""
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise BadInput(f"there is no user #{user_id}")
    return user


def standing(session: Session, user_id: int) -> Standing:
    user = _user(session, user_id)
    left = session.scalar(select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))
    return Standing(user.totp_secret is not None, user.two_factor_since, int(left or 0))


def secret_of(user: User, keys: Keyring) -> str | None:
    """The user's authenticator secret, opened (None while two-factor is off). Raises sealed.CannotOpen, saying what
    to do, when it was sealed under a SECRET_KEY this process lacks or was altered."""
    return None if user.totp_secret is None else sealed.unseal(keys, user.totp_secret, SECRET.at(user.id))


def turn_on(session: Session, user_id: int, secret: str, typed: str, now: float, *, keys: Keyring) -> list[str]:
    """Keep the secret once a code from it proves the app holds it; return the recovery codes, shown once."""
    user = _user(session, user_id)
    if user.totp_secret is not None:
        raise BadInput("two-factor authentication is already on for this account")
    step = totp.accepted_step(secret, typed, now)
    if step is None:
        raise BadInput("that code does not match; check the phone's clock and type the code the app shows now")
    user.totp_secret, user.totp_step = sealed.seal(keys, secret, SECRET.at(user_id)), step
    user.two_factor_since = utcnow()
    return renew_recovery_codes(session, user_id)


def renew_recovery_codes(session: Session, user_id: int) -> list[str]:
    """A fresh set; the old ones, used or not, stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = _new_codes()
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_digest(code)) for code in codes)
    session.flush()
    return codes


def turn_off(session: Session, user_id: int) -> User:
    """Forget the secret and the recovery codes (the person's own choice, or an admin's reset for a lost phone)."""
    user = _user(session, user_id)
    user.totp_secret = user.totp_step = user.two_factor_since = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.flush()
    return user


def check(session: Session, user_id: int, typed: str, now: float, *, keys: Keyring) -> Method | None:
    """Whether `typed` is the second step for this user: a current authenticator code not used before, or an
    unused recovery code (then used up). None when it is neither, or two-factor is off."""
    user = _user(session, user_id)
    secret = secret_of(user, keys)
    if secret is None:
        return None
    if len(totp.normalise(typed)) == totp.DIGITS:
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
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _digest(typed))
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return "recovery" if used.rowcount == 1 else None  # type: ignore[attr-defined]
