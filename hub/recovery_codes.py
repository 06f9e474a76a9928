"""Recovery codes: ten one-time codes that stand in for a lost second factor, whichever kinds a person has.

They belong to having a second factor at all, not to the authenticator app: someone whose only factor is a security
key loses it as easily as a phone, and without codes only an admin's reset would let them back in. So a set is
made when a person sets up a second factor and has none (`issue_if_none`: the first factor of either kind, or a key
added by someone from before keys had codes), kept while any factor remains, whatever is added or removed beside
it, and dropped with the last (`drop_unless_needed`). Only digests are kept, and using one is a conditional UPDATE,
so two logins racing with the same code cannot both win.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from hub.models import RecoveryCode, SecurityKey, User, utcnow

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read off paper


def _digest(code: str) -> str:
    return hashlib.sha256("".join(ch for ch in code.lower() if ch.isalnum()).encode()).hexdigest()


def _new_codes() -> list[str]:
    """Ten codes of ten characters (about 49 bits each): guessing is bounded by the login's attempt limit long
    before it could succeed, so a fast digest suffices to keep them unreadable in a backup."""
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(COUNT)]
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def renew(session: Session, user_id: int) -> list[str]:
    """A fresh set, to be shown once; the old ones, used or not, stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = _new_codes()
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_digest(code)) for code in codes)
    session.flush()
    return codes


def issue_if_none(session: Session, user_id: int) -> list[str]:
    """A set for someone setting up a second factor, when they have none (used or not); else nothing: the codes they
    keep stay good, so a second factor added beside the first does not void the paper they put away."""
    has = session.scalar(select(exists().where(RecoveryCode.user_id == user_id)))
    return [] if has else renew(session, user_id)


def drop_unless_needed(session: Session, user_id: int) -> None:
    """Forget the codes once no second factor is left for them to stand in for (call after removing one)."""
    session.flush()
    app = select(User.id).where(User.id == user_id, User.totp_secret.is_not(None))
    key = select(SecurityKey.id).where(SecurityKey.user_id == user_id)
    if session.scalar(select(exists(app) | exists(key))):
        return
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def left(session: Session, user_id: int) -> int:
    """How many of the person's codes are unused."""
    unused = (RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    return int(session.scalar(select(func.count()).where(*unused)) or 0)


def use(session: Session, user_id: int, typed: str) -> bool:
    """Whether `typed` (in any case, with or without its dash and spaces) is one of the person's unused codes; it is
    used up. Compare-and-set: of two logins racing with one code, only the first gets True."""
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _digest(typed))
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1  # type: ignore[attr-defined]
