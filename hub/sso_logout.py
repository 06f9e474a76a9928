"""What a provider's Logout Token asks (OpenID Connect Back-Channel Logout 1.0): which of its sessions ended.

The provider posts the token to web/sso.py's back-channel route when someone logs out there, or an admin there
ends their sessions. Its signature, `iss`, `aud` and `exp` are checked as the ID token's are (web/sso_backchannel.py,
through Authlib and joserfc); the rules below are the ones the spec adds for a Logout Token, kept apart so that
an ID token can never pass for one (it has a nonce and no `events`, and a `typ` of JWT when typed), nor one
token end sessions twice.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The member of the token's `events` claim that makes it a Logout Token (spec 2.4).
EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: Seconds a token's `iat` may be ahead of our clock: the leeway Authlib gives an ID token's times.
LEEWAY = 120
#: Seconds after its `iat` a token is still taken. A provider posts it as the session ends; an older one is a
#: copy held back, and refusing it bounds how long each `jti` must be remembered (`LogoutRequest.remember_for`).
MAX_AGE = 600


class BadLogoutToken(ValueError):
    """The token is no Logout Token this hub takes; the message says which rule it broke (for the answer and log)."""


class KeysUnavailable(Exception):
    """The provider's keys cannot be had (it is unreachable, or its discovery names no key set): the token can be
    neither taken nor refused, and the provider should send it again later."""


@dataclass(frozen=True)
class ProviderSession:
    """The provider's names for a login through it, kept in the session cookie for back-channel logout: `sub`, the
    person at the provider, and `sid`, the provider's session (None when its ID token names none)."""

    sub: str
    sid: str | None = None

    @classmethod
    def of(cls, claims: Mapping[str, object]) -> ProviderSession | None:
        """From a verified ID token's claims; None without a `sub` (which every ID token has)."""
        sub, sid = claims.get("sub"), claims.get("sid")
        if not isinstance(sub, str) or not sub:
            return None
        return cls(sub, sid if isinstance(sid, str) and sid else None)


@dataclass(frozen=True)
class LogoutRequest:
    """What a valid Logout Token ends: the one session `sid` when it names one (spec 2.7: the provider's session
    is the narrower ask, even beside a `sub`), else every session of `sub` logged in through the provider."""

    sub: str | None
    sid: str | None
    jti: str
    remember_for: int  # seconds the `jti` must be remembered to refuse the token again: as long as it is taken

    @property
    def scope(self) -> str:
        """What ends, as the audit log says it."""
        return "one session" if self.sid is not None else "every session"


def logout_request(claims: Mapping[str, object], now: float) -> LogoutRequest:
    """The request a verified token's claims make, or `BadLogoutToken` saying why they make none."""
    events = claims.get("events")
    if not isinstance(events, Mapping) or not isinstance(events.get(EVENT), Mapping):
        raise BadLogoutToken(f"the events claim must hold {EVENT} (as a JSON object)")
    if "nonce" in claims:
        raise BadLogoutToken("a logout token must not have a nonce (an ID token is no logout token)")
    sub, sid = _text(claims, "sub"), _text(claims, "sid")
    if sub is None and sid is None:
        raise BadLogoutToken("a logout token must name a sub or a sid")
    jti = _text(claims, "jti")
    if jti is None:
        raise BadLogoutToken("a logout token must have a jti")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise BadLogoutToken("a logout token must have an iat")
    if iat > now + LEEWAY:
        raise BadLogoutToken("the token's iat is in the future: check the clocks of both servers")
    if iat < now - MAX_AGE:
        raise BadLogoutToken(f"the token was issued more than {MAX_AGE} seconds ago")
    return LogoutRequest(sub, sid, jti, remember_for=int(iat - now) + MAX_AGE + LEEWAY)


#: The media type a typed Logout Token names in its header's `typ` (spec 2.4), `application/` left out or not.
TYPE = "logout+jwt"


def check_type(header: Mapping[str, object]) -> None:
    """`BadLogoutToken` unless the token's (unverified) JOSE header leaves `typ` out or names a Logout Token's
    media type (RFC 7515 4.1.9: case-insensitive, `application/` optional). A token typed otherwise, an ID token's
    `JWT` above all, was made for another use, and explicit typing is how the spec's later revision keeps one
    kind of token from passing for another."""
    if "typ" not in header:
        return
    typ = header["typ"]
    named = typ.lower().removeprefix("application/") if isinstance(typ, str) else None
    if named != TYPE:
        raise BadLogoutToken(f"the token's typ is {typ!r}: a logout token is typed {TYPE} (or not at all)")


def _text(claims: Mapping[str, object], name: str) -> str | None:
    """A claim's value when it is a non-empty string; anything else counts as absent."""
    value = claims.get(name)
    return value if isinstance(value, str) and value else None
