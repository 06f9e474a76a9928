"""The users page's list: people in address order, a page at a time, optionally only those whose address starts
with what the admin typed.

Keyset pages on the address (ix_users_email_c, compared in code point order: hub/prefix_match.py), so a desk of
thousands renders one page of rows, the hundredth page costs what the first does, and someone added meanwhile never
shifts a page (hub/keyset.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import keyset
from hub.models import User
from hub.prefix_match import in_code_point_order, starting_with

#: People on one page of the users page.
PAGE = 100


@dataclass(frozen=True)
class UserPage:
    """One page of people in address order, and where the pages beside it start (None at either end)."""

    people: list[User]
    earlier: str | None  # `before` for the page before: the first address shown
    later: str | None  # `after` for the page after: the last address shown


def listed(
    session: Session, *, starting: str = "", after: str | None = None, before: str | None = None, limit: int = PAGE
) -> UserPage:
    """People whose address starts with `starting` (any case: addresses are kept in lower case), in address order:
    those after address `after`, or before address `before`, or the first."""
    found = keyset.page(session, select(User), key=in_code_point_order(User.email),
                        within=starting_with(User.email, starting.strip().lower()), key_of=lambda user: user.email,
                        fetch=session.scalars, after=after, before=before, limit=limit)  # fmt: skip
    return UserPage(found.rows, earlier=found.before, later=found.after)
