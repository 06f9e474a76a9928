"""API tokens: the desk's (named, with a role) and personal ones (acting as their person), their expiry, use and
revocation. Only a token's digest is stored (hub/credentials.py), so its value is seen once, when it is made.

A personal token is its person on the API: its role is the person's role when it is used, not one it was made
with, so lowering someone's role or deactivating them reaches every token they made at once, and what it does is
theirs (`Principal.by`), as on the pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from hub import credentials
from hub.account_names import DESK_TOKEN, check_name, check_role
from hub.db import Database
from hub.errors import BadInput, StorageUnavailable
from hub.models import ApiToken, User, utcnow

_DAYS = re.compile(r"^\s*(\d{1,5})\s*d?\s*$")
MAX_DAYS = 3650

#: How often a token's `last_used_at` is written at most: "when was it last used" needs minutes, not a write on
#: every request of a busy script.
USE_EVERY = timedelta(minutes=1)

#: Where someone whose token expired gets another.
RENEW = "ask an admin for a new one (switchboard token create), or make your own on your account page"


@dataclass(frozen=True)
class Principal:
    """Who is calling the API: a token's name and role, and for a personal token its person (whose role it is)."""

    name: str
    role: str
    email: str | None = None  # a personal token's person: they act, not the token
    user_id: int | None = None

    @property
    def by(self) -> str:
        """Who acted, wherever the API records or shows it (the timeline, the audit log, the rows that keep an
        author, an approval's asker): the person, or the desk's token as `token:<name>`, which no person's address
        nor group's name can be mistaken for. Entries written before it said the token by its name alone."""
        return self.email or f"{DESK_TOKEN}{self.name}"


@dataclass(frozen=True)
class Refused:
    """A token that names a row but may not be used, and what its holder should do."""

    reason: str


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    token_id: int
    use_due: bool  # its last use is not written, or older than USE_EVERY: write this one (`note_use`)


@dataclass(frozen=True)
class TokenRow:
    """A token as the lists show it (never its digest)."""

    name: str
    role: str  # a personal token's: its person's now
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    owner: str | None  # a personal token's person's email

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "role": self.role, "created_at": self.created_at.isoformat(),
                "last_used_at": _iso(self.last_used_at), "expires_at": _iso(self.expires_at),
                "owner": self.owner}  # fmt: skip


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def expiry_days(text: str | None) -> int | None:
    """`--expires-in 90d` (or `90`): a whole number of days from 1 to 3650; blank or None: never."""
    if text is None or not text.strip():
        return None
    match = _DAYS.match(text)
    days = int(match.group(1)) if match else 0
    if not 1 <= days <= MAX_DAYS:
        raise BadInput(f"{text.strip()!r} is not an expiry; give a number of days from 1 to {MAX_DAYS}, such as 90d")
    return days


def create_token(
    session: Session, *, name: str, role: str = "agent", expires_in_days: int | None = None, owner: str | None = None,
    now: datetime | None = None,
) -> str:  # fmt: skip
    """Create an API token and return it; only its digest is stored, so this is the one time it is seen. `owner`
    (an active person's email) makes it personal: it acts as them, with their role whenever it is used."""
    check_name(name, "token")
    check_role(role)
    user = None
    if owner is not None:
        user = session.scalar(select(User).where(User.email == owner.strip().lower()))
        if user is None or not user.active:
            raise BadInput(f"there is no active user {owner!r}; a personal token acts as its person")
        role = user.role
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise BadInput(f"a token named {name!r} already exists; choose another name")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
        raise BadInput(f"a token expires in 1 to {MAX_DAYS} days, not {expires_in_days}")
    token = credentials.new_token("sbt")
    expires = (now or utcnow()) + timedelta(days=expires_in_days) if expires_in_days is not None else None
    session.add(ApiToken(name=name, token_hash=credentials.digest(token), role=role, expires_at=expires,
                         user_id=user.id if user is not None else None))  # fmt: skip
    session.flush()
    return token


def authenticate(session: Session, token: str, now: datetime) -> Authenticated | Refused | None:
    """The token's principal; `Refused` for an expired token or a deactivated person's (saying so); None for a
    value that is no token (never made, or revoked). Found by its digest: random values, so the lookup reveals
    nothing a constant-time comparison would hide."""
    found = session.execute(
        select(ApiToken, User.email, User.role, User.active)
        .outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == credentials.digest(token))
    ).first()
    if found is None:
        return None
    row, email, person_role, active = found
    if row.expires_at is not None and row.expires_at <= now:
        return Refused(f"the API token {row.name!r} expired on {row.expires_at:%Y-%m-%d %H:%M} UTC; {RENEW}")
    if row.user_id is not None and not active:
        return Refused(f"the API token {row.name!r} is {email}'s, whose account is deactivated; it no longer works")
    principal = Principal(row.name, person_role if row.user_id is not None else row.role, email, row.user_id)
    due = row.last_used_at is None or now - row.last_used_at >= USE_EVERY
    return Authenticated(principal, row.id, due)


def note_use(db: Database, token_id: int, now: datetime) -> None:
    """Write that a token was used now, unless another request wrote it less than USE_EVERY ago (the condition is
    in the UPDATE, so processes racing write it once).

    Bookkeeping on the way into any request, reads too: it never waits for a busy database (SQLite's write slot
    taken, or on PostgreSQL the token's row locked by a write in progress) and never fails the request. A use not
    written stays due, so the token's next request writes it."""
    try:
        with db.write(wait=0) as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
            conn.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id)
                .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USE_EVERY))
                .values(last_used_at=now)
            )
    except StorageUnavailable:
        pass


def listing(session: Session, *, owner_id: int | None = None) -> list[TokenRow]:
    """Every token by name (an admin's list), or only `owner_id`'s personal ones (their account page)."""
    query = select(ApiToken, User.email, User.role).outerjoin(User, User.id == ApiToken.user_id).order_by(ApiToken.name)
    if owner_id is not None:
        query = query.where(ApiToken.user_id == owner_id)
    return [
        TokenRow(row.name, role if row.user_id is not None else row.role, row.created_at, row.last_used_at,
                 row.expires_at, email)
        for row, email, role in session.execute(query)
    ]  # fmt: skip


def revoke_all_of(session: Session, owner_id: int) -> list[str]:
    """Delete every personal token of one person, as when they change a password they think someone else knew;
    returns the names revoked, in order, for the audit log and the page."""
    names = sorted(session.scalars(select(ApiToken.name).where(ApiToken.user_id == owner_id)))
    if names:
        session.execute(delete(ApiToken).where(ApiToken.user_id == owner_id))
    return names


def revoke(session: Session, name: str, *, owner_id: int | None = None) -> None:
    """Delete the token `name` (its next request is a 401); with `owner_id`, only if it is theirs, so a person
    revokes their own and no one else's (someone else's reads as none of that name)."""
    query = delete(ApiToken).where(ApiToken.name == name)
    if owner_id is not None:
        query = query.where(ApiToken.user_id == owner_id)
    if session.execute(query).rowcount == 0:  # type: ignore[attr-defined]
        mine = "of yours " if owner_id is not None else ""
        raise BadInput(f"there is no token {mine}named {name!r}; the list shows the tokens there are")
