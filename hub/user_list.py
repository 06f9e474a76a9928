"""The users page's list: people in address order, a page at a time, optionally only those whose address starts
with what the admin typed.

Keyset pages on the address (ix_users_email_c, compared in code point order: hub/prefix_match.py), so a desk of
thousands renders one page of rows, the hundredth page costs what the first does, and someone added meanwhile never
shifts a page. The outbox page pages the same way on ids (hub/outbox_admin.py `listed`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

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
    address = in_code_point_order(User.email)
    within = starting_with(User.email, starting.strip().lower())
    if before is not None:
        query = select(User).where(within, address < before).order_by(address.desc())
    else:
        query = select(User).where(within, *([address > after] if after is not None else [])).order_by(address)
    rows = list(session.scalars(query.limit(limit + 1)))
    if not rows and (before, after) != (None, None):  # nothing there any more (a link followed late): the first
        return listed(session, starting=starting, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit] if before is None else rows[:limit][::-1]
    if before is not None:
        more_earlier, more_later = more, _any(session, within, address > rows[-1].email)
    else:
        more_later, more_earlier = more, after is not None and _any(session, within, address < rows[0].email)
    return UserPage(rows, earlier=rows[0].email if more_earlier else None,
                    later=rows[-1].email if more_later else None)  # fmt: skip


def _any(session: Session, *conditions: ColumnElement[bool]) -> bool:
    return bool(session.scalar(select(exists().where(*conditions))))
