"""Whom an OpenID Connect provider's verified ID token logs in, and as what: its address matched to an active user,
or a person made for it when the operator asks (SWITCHBOARD_OIDC_NEW_USERS); with SWITCHBOARD_OIDC_ROLE_MAP, the
role their groups give, set at every login. No HTTP here; web/sso.py checks the token (and asks the userinfo
endpoint for what it left out) first.

Only the `email` claim is matched: it is what the users table holds, and what admins type when they add someone.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.accounts import change_user, create_user
from hub.addresses import is_address
from hub.config import OidcSettings
from hub.errors import LastAdmin
from hub.models import User

#: The audit log's actor for changes single sign-on makes (as `cli` is for the command line's).
ACTOR = "sso"

Reason = Literal["no_address", "unverified", "unknown", "disabled", "no_role"]


class Refused(Exception):
    """The provider vouched for someone, but that logs no one in here; `reason` says which case, for the page, and
    `groups` (for `no_role`) which groups would have let them in."""

    def __init__(self, reason: Reason, email: str = "", groups: tuple[str, ...] = ()) -> None:
        super().__init__(reason, email)
        self.reason = reason
        self.email = email
        self.groups = groups


class BadUserinfo(ValueError):
    """The userinfo endpoint's answer cannot be used: it is about another subject than the ID token's, or is not
    a JSON object."""


@dataclass(frozen=True)
class Admitted:
    """Whom a login admits. `kept_admin` names the role the groups gave a last active admin, who stays an admin."""

    user: User
    kept_admin: str | None = None


def verified_email(claims: Mapping[str, object]) -> str:
    """The address the token vouches for, lowercased.

    `email_verified` false (or anything but true) refuses it: the provider is saying the person typed it and never
    proved it. When it is absent it is taken as verified: Entra ID never sends it, and the issuer is pinned to the
    organisation's own directory (one realm, one tenant: hub/config.py), whose admins set the addresses.
    """
    email = claims.get("email")
    if not isinstance(email, str) or not is_address(email.strip()):
        raise Refused("no_address")
    address = email.strip().lower()
    verified = claims.get("email_verified", True)
    if verified is not True and verified != "true":  # some providers send booleans as strings; 1 is not true here
        raise Refused("unverified", address)
    return address


def wants_userinfo(claims: Mapping[str, object], oidc: OidcSettings) -> bool:
    """Whether the ID token left out what a login needs, the address or (with a role map) the groups, so the
    userinfo endpoint must be asked: providers given only the `openid email` scopes may keep claims for it."""
    return "email" not in claims or (oidc.role_map is not None and oidc.roles_claim not in claims)


def with_userinfo(claims: Mapping[str, Any], userinfo: Mapping[str, Any], roles_claim: str) -> dict[str, Any]:
    """The ID token's claims, with what it left out taken from the userinfo endpoint's answer: the address (with
    that answer's own `email_verified`, never the token's) and the groups. What the token says is kept: it is
    signed, the answer only came over TLS.

    The answer must be about the token's subject (OpenID Connect Core 5.3.2), or `BadUserinfo`: it could
    otherwise be another person's, and log in someone the token never named.
    """
    if not isinstance(userinfo.get("sub"), str) or userinfo.get("sub") != claims.get("sub"):
        raise BadUserinfo(f"the userinfo answer's sub {userinfo.get('sub')!r} is not the ID token's")
    taken = [roles_claim] if roles_claim not in claims else []
    if "email" not in claims:
        taken += ["email", "email_verified"]
    return {**claims, **{name: userinfo[name] for name in taken if name in userinfo}}


def groups_in(claims: Mapping[str, object], claim: str) -> tuple[str, ...]:
    """The groups a claim lists: a list of names, or one name alone (as some providers send a single group).
    Anything else (a number, an object, a list of them) names no group rather than a guessed one."""
    value = claims.get(claim)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def admit(session: Session, claims: Mapping[str, object], oidc: OidcSettings) -> Admitted:
    """Whom these verified claims log in, in the caller's transaction, or `Refused` saying why no one.

    With a role map, the role the groups give is the person's from this login on: a change is audited as
    `user.role` by `sso`, and someone whose groups give none is refused (their account is left as it was). The
    last active admin is never demoted this way (hub.accounts.change_user refuses it): they are logged in as an
    admin still, and `kept_admin` says so, for the page to tell them.
    """
    email = verified_email(claims)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and not user.active:
        raise Refused("disabled", email)
    role = None
    if oidc.role_map is not None:
        role = oidc.role_map.role_for(groups_in(claims, oidc.roles_claim))
        if role is None:
            raise Refused("no_role", email, oidc.role_map.groups)
    if user is None:
        return Admitted(_made(session, email, oidc.new_users if oidc.new_users != "mapped" else role))
    if role is None or role == user.role:
        return Admitted(user)
    before = user.role
    try:
        change_user(session, email, role=role)
    except LastAdmin:
        return Admitted(user, kept_admin=role)
    audit.record(session, ACTOR, "user.role", email, role=role, previous=before)
    return Admitted(user)


def _made(session: Session, email: str, role: str | None) -> User:
    """A new account with `role` (audited as `user.create` by `sso`), or `Refused` when accounts are not made at a
    login. It gets a random password no one knows: an admin can set one later."""
    if role is None:
        raise Refused("unknown", email)
    user = create_user(session, email=email, password=secrets.token_urlsafe(32), role=role)
    audit.record(session, ACTOR, "user.create", user.email, role=user.role)
    return user
