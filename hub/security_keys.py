"""Security keys and passkeys (WebAuthn) as a second step at login, beside or instead of the authenticator app.

A code from an app can be typed into a phishing page and replayed at once; a key signs a challenge bound to this
site's origin, so a look-alike site gets nothing it can use. Each ceremony's challenge waits here on the server
(`webauthn_challenges`), not in the session cookie, and is taken by one DELETE: a signed answer copied together
with the cookie cannot be replayed, and a challenge is good for one try within CHALLENGE_FOR. A key's counter moves
on compare-and-set, so two logins racing with one answer cannot both win. The checks themselves are the pure
hub/webauthn_checks.py.

A key refused because its counter went back is flagged (`refused_at`) as well as audited: its owner is the one who
can act on it, by removing it, and their account page says so. The first key someone adds, like the authenticator
app, comes with recovery codes when they have none (hub/recovery_codes.py), and the last one removed takes them
along unless the app is left. Challenges never answered are swept by the retention chore
(`forget_expired_challenges`), not only when the same person starts another ceremony.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hub import recovery_codes
from hub.db import Database
from hub.errors import BadInput
from hub.models import SecurityKey, User, WebAuthnChallenge, utcnow
from hub.webauthn_checks import (
    ClonedKey,
    KeyRefused,
    NewKey,
    RelyingParty,
    StoredKey,
    credential_id_of,
    verify_login,
    verify_new_key,
)

Purpose = Literal["register", "login"]
#: How long a challenge waits for the key's answer: the browser's own timeout, and a little for the round trip.
CHALLENGE_FOR = timedelta(minutes=3)
#: Enough for every key a person carries; a bound, so the options a login hands out stay small.
MOST_KEYS = 10
MAX_NAME = 100
#: Why a key was refused as a copy: the account page's flag and the audit record say the same.
COPY_SUSPECTED = "its counter went back: a copy may exist; remove it"


class ChallengeGone(BadInput):
    """The challenge the browser answered is not waiting: used already, expired, or never given to this browser.
    Not a wrong key: the person tries again, and the message says so."""


class CopiedKey(ClonedKey):
    """A key's signature counter went back: a copy of it may be in use elsewhere. Names the key, now flagged."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Added:
    """A key just registered: its name, and the recovery codes to show once when it came with them (the person had
    none); empty when theirs stay good."""

    name: str
    recovery_codes: list[str]


@dataclass(frozen=True)
class Challenge:
    """A challenge to hand out, and the reference the browser keeps (in its session) to answer it."""

    ref: str
    value: bytes


def keys_of(session: Session, user_id: int) -> list[SecurityKey]:
    return list(session.scalars(select(SecurityKey).where(SecurityKey.user_id == user_id).order_by(SecurityKey.id)))


def refused_per_owner(session: Session) -> dict[int, int]:
    """How many keys each person has flagged as refused copies (user id -> count), for the users page: the owner may
    not come back to their account page, and an admin can reset their two-factor instead."""
    query = select(SecurityKey.user_id, func.count()).where(SecurityKey.refused_at.is_not(None))
    return {user_id: int(count) for user_id, count in session.execute(query.group_by(SecurityKey.user_id))}


def stored(key: SecurityKey) -> StoredKey:
    return StoredKey(key.credential_id, key.public_key, key.sign_count, key.transports)


def new_challenge(session: Session, user_id: int, purpose: Purpose, now: float) -> Challenge:
    """A fresh challenge for one ceremony of this person's. Their challenges past CHALLENGE_FOR are deleted on the
    way, so rows from ceremonies never finished do not pile up; others stay, so two tabs do not undo each other."""
    at = datetime.fromtimestamp(now, UTC)
    stale = (WebAuthnChallenge.user_id == user_id, WebAuthnChallenge.created_at <= at - CHALLENGE_FOR)
    session.execute(delete(WebAuthnChallenge).where(*stale).execution_options(synchronize_session=False))
    made = Challenge(secrets.token_urlsafe(16), secrets.token_bytes(32))
    session.add(WebAuthnChallenge(user_id=user_id, ref=made.ref, purpose=purpose, challenge=made.value, created_at=at))
    session.flush()
    return made


def forget_expired_challenges(db: Database, now: datetime | None = None) -> int:
    """Delete the challenges no key answered within CHALLENGE_FOR, whoever's (hub/retention.py's chore); returns how
    many. take_challenge refuses them anyway: this keeps them from piling up for people who never try again."""
    expired = WebAuthnChallenge.created_at <= (now or utcnow()) - CHALLENGE_FOR  # as take_challenge judges it
    with db.write() as conn:
        return int(conn.execute(delete(WebAuthnChallenge).where(expired)).rowcount)


def take_challenge(session: Session, user_id: int, purpose: Purpose, ref: str | None, now: float) -> bytes:
    """The challenge this browser was given, deleted as it is read so it answers one try only. Raises
    ChallengeGone, saying what to do, when there is none or it expired."""
    mine = (WebAuthnChallenge.ref == (ref or ""), WebAuthnChallenge.user_id == user_id)
    row = session.scalar(select(WebAuthnChallenge).where(*mine, WebAuthnChallenge.purpose == purpose))
    if row is None or not _deleted(session, row.id):
        # Of two requests racing with one reference, only the one whose DELETE removed the row goes on.
        raise ChallengeGone("this try was used already or never started; press the button again")
    if datetime.fromtimestamp(now, UTC) - row.created_at >= CHALLENGE_FOR:
        raise ChallengeGone("the key was not touched in time; press the button again")
    return row.challenge


def _deleted(session: Session, challenge_id: int) -> bool:
    mine = WebAuthnChallenge.id == challenge_id
    gone = session.execute(delete(WebAuthnChallenge).where(mine).execution_options(synchronize_session=False))
    return gone.rowcount == 1  # type: ignore[attr-defined]


def _name(typed: str, others: list[SecurityKey]) -> str:
    """The name typed, spaces tidied, once it is one the person can tell from their `others`. Raises BadInput."""
    name = " ".join(typed.split())
    if not name or len(name) > MAX_NAME:
        raise BadInput(f'give the key a name of 1 to {MAX_NAME} characters, such as "YubiKey 5"')
    if any(key.name.casefold() == name.casefold() for key in others):
        raise BadInput(f"you have a key named {name!r} already; choose another name")
    return name


def add(
    session: Session, user_id: int, name: str, rp: RelyingParty, ref: str | None, credential: dict[str, Any], now: float
) -> Added:
    """Register the key that answered this person's registration challenge, under a name they chose, with recovery
    codes when they have none. Raises BadInput saying what is wrong: the name, too many keys, a key registered
    already (to anyone), or its answer."""
    have = keys_of(session, user_id)
    name = _name(name, have)
    if len(have) >= MOST_KEYS:
        raise BadInput(f"you have {MOST_KEYS} keys already; remove one you no longer use first")
    challenge = take_challenge(session, user_id, "register", ref, now)
    new: NewKey = verify_new_key(rp, challenge, credential)
    if session.scalar(select(func.count()).where(SecurityKey.credential_id == new.credential_id)):
        raise BadInput("this key is registered already")
    key = SecurityKey(user_id=user_id, name=name, credential_id=new.credential_id, public_key=new.public_key,
                      sign_count=new.sign_count, transports=new.transports,
                      created_at=datetime.fromtimestamp(now, UTC))  # fmt: skip
    session.add(key)
    codes = recovery_codes.issue_if_none(session, user_id)
    _restamp(session, user_id)
    return Added(name, codes)


def _own(session: Session, user_id: int, key_id: int) -> SecurityKey:
    key = session.get(SecurityKey, key_id)
    if key is None or key.user_id != user_id:
        raise BadInput("that key is not registered to your account (removed already?)")
    return key


def rename(session: Session, user_id: int, key_id: int, name: str) -> tuple[str, str]:
    """Give one of this person's keys another name, unique among theirs as on adding; (old name, new name). How they
    log in does not change, so no session ends."""
    key = _own(session, user_id, key_id)
    was, key.name = key.name, _name(name, [other for other in keys_of(session, user_id) if other.id != key_id])
    session.flush()
    return was, key.name


def remove(session: Session, user_id: int, key_id: int) -> str:
    """Forget one of this person's keys (and their recovery codes with their last second factor); its name, for the
    audit entry and the message."""
    key = _own(session, user_id, key_id)
    session.delete(key)
    recovery_codes.drop_unless_needed(session, user_id)
    _restamp(session, user_id)
    return key.name


def remove_all(session: Session, user_id: int) -> int:
    """Forget every key of this person's (an admin's reset for lost keys), and their recovery codes unless the app
    is left; how many keys there were."""
    gone = session.execute(
        delete(SecurityKey).where(SecurityKey.user_id == user_id).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.user_id == user_id))
    recovery_codes.drop_unless_needed(session, user_id)
    if gone:
        _restamp(session, user_id)
    return int(gone)


def _restamp(session: Session, user_id: int) -> None:
    """A new stamp: part of the session key (web/auth.py::session_key), so every other session of theirs ends."""
    session.flush()
    session.execute(update(User).where(User.id == user_id).values(security_keys_stamp=secrets.token_hex(16)))
    session.expire_all()  # the user row's stamp and has_security_key are read again


def check(
    session: Session, user_id: int, rp: RelyingParty, ref: str | None, credential: dict[str, Any], now: float
) -> str:
    """The name of the key of this person's that signed their login challenge; its counter and last use are
    recorded. Raises ChallengeGone, KeyRefused (not one of their keys, or not a valid answer), CopiedKey (its
    counter went back: the key is flagged), or ClonedKey (another login moved its counter at the same moment). The
    challenge is used up, and a copied key flagged, either way: call it in a transaction that commits even when it
    raises."""
    challenge = take_challenge(session, user_id, "login", ref, now)
    credential_id = credential_id_of(credential)
    key = None
    if credential_id is not None:
        key = session.scalar(
            select(SecurityKey).where(SecurityKey.credential_id == credential_id, SecurityKey.user_id == user_id)
        )
    if key is None:
        raise KeyRefused("that key is not registered to this account")
    try:
        count = verify_login(rp, challenge, credential, stored(key))
    except ClonedKey as exc:
        key.refused_at = datetime.fromtimestamp(now, UTC)
        session.flush()
        raise CopiedKey(str(exc), key.name) from None
    moved = session.execute(
        update(SecurityKey)
        .where(SecurityKey.id == key.id, SecurityKey.sign_count == key.sign_count)
        .values(sign_count=count, last_used_at=datetime.fromtimestamp(now, UTC))
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ClonedKey("this key was used by another login at the same moment")
    return key.name
