"""Sessions ended before their time, marked in Redis and asked about on each UI request (web/auth.py `load_user`).

A session is a signed cookie: nothing on the server lists them, so ending one cannot delete it, and a copy of the
cookie made before a logout would be taken until SWITCHBOARD_SESSION_MAX_AGE. Instead an end is a mark in Redis
that the session's next request finds. Three kinds of mark reach a session, all asked in one MGET:
- its own id, a random value put in the cookie at login (`start`), marked when it logs out (`end_session`);
- its person's "ended before" time, set by "Log out everywhere else" on the account page (`end_all_before`);
- the identity provider's names for its login, marked by a back-channel logout (web/sso_sessions.py).

Why Redis and not the database, and why an unreachable Redis lets sessions through: see web/sso_sessions.py, for
the same reasons. A session from before ids were given out has none, so only its max age (or a person-wide mark)
ends it. Keys carry a digest of what they mark, not the value: a key must not say who someone is to whoever can
list Redis.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

#: The session key holding this login's random id.
SESSION_ID = "session_id"
#: The session key holding when this browser last logged out everywhere else (epoch seconds): it stays, where a
#: copy of its cookie made before does not. Absent: when it logged in.
STANDS_SINCE = "stands_since"

#: Which end a mark stands for: this session's logout, its person's "log out everywhere else", or the provider's.
Cause = Literal["logout", "everywhere", "provider"]


def key(area: str, kind: str, scope: str, value: str) -> str:
    """The Redis key of a mark: `switchboard:<area>:<kind>:<digest of scope and value>`."""
    digest = hashlib.sha256(f"{scope}\n{value}".encode()).hexdigest()[:40]
    return f"switchboard:{area}:{kind}:{digest}"


@dataclass(frozen=True)
class Mark:
    """A key that, when set, ends the session asking: whatever it holds (`since` None), or when it holds a time at
    or after `since`, when the session began as far as this mark goes (so a login after the end stays)."""

    key: str
    since: float | None
    cause: Cause


def start(session: MutableMapping[str, Any]) -> None:
    """Give a fresh login its id, by which its logout ends every copy of its cookie."""
    session[SESSION_ID] = secrets.token_urlsafe(18)


def own_marks(session: MutableMapping[str, Any], user_id: int, logged_in_at: float) -> list[Mark]:
    """The marks that end this session (which logged in at `logged_in_at`) whatever way it logged in: its own
    logout, and its person's logging out everywhere else."""
    stands_since = session.get(STANDS_SINCE)
    since = stands_since if isinstance(stands_since, float) else logged_in_at
    marks = [Mark(key("session", "ended-before", "", str(user_id)), since=since, cause="everywhere")]
    session_id = session.get(SESSION_ID)
    if isinstance(session_id, str):
        marks.append(Mark(key("session", "ended", "", session_id), since=None, cause="logout"))
    return marks


def ended(client: redis.Redis | None, marks: Sequence[Mark]) -> Mark | None:
    """The first of `marks` that ended this session, or None. One round trip; None too without Redis or while it
    does not answer (see the module's docstring)."""
    if client is None or not marks:
        return None
    import redis  # loaded with the client (web/services.py), so only looked up here

    try:
        values = client.mget([mark.key for mark in marks])
    except redis.RedisError as exc:
        log.warning("ended sessions are not checked, Redis is unavailable: %s", exc)
        return None
    for mark, value in zip(marks, values, strict=True):
        if value is not None and (mark.since is None or float(value) >= mark.since):
            return mark
    return None


def end_session(
    client: redis.Redis | None, session: MutableMapping[str, Any], logged_in_at: float, now: float, max_age: float
) -> bool:
    """Mark this session ended, for as long as a copy of it could otherwise live (its remaining max age); say
    whether it was marked (False: a session from before ids, no Redis, or Redis did not answer)."""
    session_id = session.get(SESSION_ID)
    if not isinstance(session_id, str):
        return False
    remaining = max_age - (now - logged_in_at) if max_age > 0 else 0.0
    if max_age > 0 and remaining <= 0:
        return True  # outlived already: load_user refuses it without a mark
    return _set(client, key("session", "ended", "", session_id), "1", remaining, "a logout")


def end_all_before(
    client: redis.Redis | None, session: MutableMapping[str, Any], user_id: int, now: float, max_age: float
) -> bool:
    """End every session of this person that began up to `now` but this one (the mark lives as long as such a
    session could); say whether Redis took it. This session keeps its login time, so its max age, and the recent
    login a token wants, are not renewed by it."""
    if not _set(client, key("session", "ended-before", "", str(user_id)), repr(now), max_age, "a logout everywhere"):
        return False
    session[STANDS_SINCE] = math.nextafter(now, math.inf)  # after the mark, which ends what began at or before it
    return True


def _set(client: redis.Redis | None, name: str, value: str, ttl: float, what: str) -> bool:
    if client is None:
        return False
    import redis

    try:
        client.set(name, value, ex=expiry(ttl))
    except redis.RedisError as exc:
        log.warning("%s was not marked, Redis is unavailable: copies of the session last until their max age: %s",
                    what, exc)  # fmt: skip
        return False
    return True


def expiry(ttl: float) -> int | None:
    """A mark's life in whole seconds: as long as a session it could end may live; none when that is 0
    (SWITCHBOARD_SESSION_MAX_AGE=0, no limit: a session kept busy lives on, and so must the mark that ends it)."""
    return max(1, math.ceil(ttl)) if ttl > 0 else None
