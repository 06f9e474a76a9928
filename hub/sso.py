"""Whom an OpenID Connect provider's verified ID token logs in: its address matched to an active user, or a person
made for it when the operator asks (SWITCHBOARD_OIDC_NEW_USERS). No HTTP here; web/sso.py checks the token first.

Only the `email` claim is matched: it is what the users table holds, and what admins type when they add someone.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.accounts import create_user
from hub.addresses import is_address
from hub.models import User

#: The audit log's actor for accounts made at a first single sign-on (as `cli` is for the command line's).
ACTOR = "sso"

Reason = Literal["no_address", "unverified", "unknown", "disabled"]


class Refused(Exception):
    """The provider vouched for someone, but that logs no one in here; `reason` says which case, for the page."""

    def __init__(self, reason: Reason, email: str = "") -> None:
        super().__init__(reason, email)
        self.reason = reason
        self.email = email


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


def user_for(session: Session, email: str, *, new_users: str | None) -> User:
    """The active user with this address; made with role `new_users` when there is none and it is set (audited as
    `user.create` by `sso`). The account gets a random password no one knows: an admin can set one later."""
    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        if not user.active:
            raise Refused("disabled", email)
        return user
    if new_users is None:
        raise Refused("unknown", email)
    user = create_user(session, email=email, password=secrets.token_urlsafe(32), role=new_users)
    audit.record(session, ACTOR, "user.create", user.email, role=user.role)
    return user
