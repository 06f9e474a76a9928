"""Sessions the identity provider ended (back-channel logout), kept in Redis and checked on each request.

A session is a signed cookie (web/auth.py): nothing on the server lists them, so a logout at the provider cannot
delete one. Instead the provider's names for the login (`sub`, `sid`: hub/sso_logout.py's ProviderSession) ride in
the cookie, the logout marks them ended here, and `load_user` asks on each request of a session that came through
the provider whether its marks are set, in the same lookup as every session's own marks (web/session_ends.py).

Why Redis and not the database: a mark is needed only as long as a session it could end may live, and Redis drops
it by itself after SWITCHBOARD_SESSION_MAX_AGE (a TTL), where a table would need a chore to prune it and a
migration; the check is one MGET on a connection the process already holds (these marks join each session's own:
web/session_ends.py), beside the one read of the user's row every request makes already; and refusing a replayed
token must hold across every web process at once, which SET NX does. Redis is always there (`switchboard up`
starts one; the separate parts need REDIS_URL). The cost: a Redis that loses its data (the embedded one appends to
a file every second; keep yours so too) forgets the marks, and while Redis does not answer, sessions are let
through, as failed-login limits are (web/ratelimit.py): logging everyone out because a counter is unreachable
would do more harm, and the session still ends at SWITCHBOARD_SESSION_MAX_AGE.

Keys carry a digest of the issuer and the value, not the value: `sid` and `sub` are the provider's strings, of any
length, and a key must not say who someone is to whoever can list Redis.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from hub.sso_logout import LogoutRequest, ProviderSession
from web.session_ends import Mark, expiry
from web.session_ends import key as mark_key

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

#: The session keys holding the provider's names for this login (see ProviderSession).
SUB = "sso_sub"
SID = "sso_sid"


def _key(kind: str, issuer: str, value: str) -> str:
    return mark_key("sso", kind, issuer, value)


def keep(session: MutableMapping[str, Any], provider_session: ProviderSession) -> None:
    """Put the provider's names for this login in the (fresh) session."""
    session[SUB] = provider_session.sub
    if provider_session.sid is not None:
        session[SID] = provider_session.sid


def kept(session: MutableMapping[str, Any]) -> ProviderSession | None:
    """The provider's names for this session's login, or None (a password login, or one from before they were
    kept: such a session cannot be ended from the provider, and lasts at most SWITCHBOARD_SESSION_MAX_AGE)."""
    sub, sid = session.get(SUB), session.get(SID)
    if not isinstance(sub, str):
        return None
    return ProviderSession(sub, sid if isinstance(sid, str) else None)


def remember(
    client: redis.Redis | None, issuer: str, provider_session: ProviderSession, email: str, ttl: float
) -> None:
    """Note whom a login's `sub` and `sid` are, so that a logout naming either is audited under the person's
    address. Only for the audit log: a note lost (no Redis) ends nothing less, and the login goes on."""
    if client is None:
        return
    import redis  # loaded with the client (web/services.py), so only looked up here

    pipe = client.pipeline(transaction=False)
    pipe.set(_key("who-sub", issuer, provider_session.sub), email, ex=expiry(ttl))
    if provider_session.sid is not None:
        pipe.set(_key("who-sid", issuer, provider_session.sid), email, ex=expiry(ttl))
    try:
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("whom a login through the identity provider is was not noted, Redis is unavailable: %s", exc)


def first_use(client: redis.Redis, issuer: str, logout: LogoutRequest) -> bool:
    """Whether this is the first time the token's `jti` is seen (spec 2.6: a replayed token is refused); it is
    remembered for as long as the token would be taken."""
    return bool(client.set(_key("jti", issuer, logout.jti), 1, nx=True, ex=max(1, logout.remember_for)))


def end(client: redis.Redis, issuer: str, logout: LogoutRequest, now: float, ttl: float) -> str | None:
    """Mark what the logout ends, and say whose it was: their address when a login here noted it, else None.

    By `sid`: that session, whenever it logged in. By `sub` alone: every session of theirs that logged in up to
    now (a login after the logout is a new one, and stays)."""
    pipe = client.pipeline(transaction=False)
    if logout.sid is not None:
        pipe.set(_key("ended-sid", issuer, logout.sid), 1, ex=expiry(ttl))
        pipe.get(_key("who-sid", issuer, logout.sid))
    else:
        assert logout.sub is not None  # hub.sso_logout.logout_request: a sub or a sid
        pipe.set(_key("ended-sub", issuer, logout.sub), repr(now), ex=expiry(ttl))
        pipe.get(_key("who-sub", issuer, logout.sub))
    who = pipe.execute()[-1]
    return who.decode() if isinstance(who, bytes) else None


def marks(session: MutableMapping[str, Any], issuer: str, logged_in_at: float) -> list[Mark]:
    """The marks by which the provider ends this browser's session (web/session_ends.py): its `sid` logged out, or
    every session of its `sub` up to a time after it logged in (at `logged_in_at`); none for a session with nothing
    kept to ask by (see `kept`)."""
    provider_session = kept(session)
    if provider_session is None:
        return []
    found = [Mark(_key("ended-sub", issuer, provider_session.sub), since=logged_in_at, cause="provider")]
    if provider_session.sid is not None:
        found.append(Mark(_key("ended-sid", issuer, provider_session.sid), since=None, cause="provider"))
    return found
