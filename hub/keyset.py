"""Keyset paging: a list a page at a time, each page starting from the key of the last row shown, so the
thousandth page costs what the first does (an index range, not an OFFSET) and rows written meanwhile never shift
a page. The outbox (ids, newest first: hub/outbox_admin.py) and the users page (addresses: hub/user_list.py) page
this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")


@dataclass(frozen=True)
class Keyset(Generic[T]):
    """One page of rows in the order shown, and the keys the pages beside it start from (None at either end)."""

    rows: list[T]
    before: Any  # the first row's key, when rows come before it
    after: Any  # the last row's key, when rows come after it


def page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    *,
    key: ColumnElement[Any] | InstrumentedAttribute[Any],
    within: ColumnElement[bool],
    key_of: Callable[[T], Any],
    fetch: Callable[[Select[*tuple[Any, ...]]], Iterable[T]],
    after: Any = None,
    before: Any = None,
    descending: bool = False,
    limit: int,
) -> Keyset[T]:
    """The rows of `query` that are `within`, shown in `key` order (`descending` or not): those shown after key
    `after`, or before key `before`, or the first. A key that matches nothing any more (a link followed late) gives
    the first page."""

    def shown_after(value: Any) -> ColumnElement[bool]:
        return key < value if descending else key > value

    def shown_before(value: Any) -> ColumnElement[bool]:
        return key > value if descending else key < value

    if before is not None:  # read backwards from `before`, then turned round
        read = query.where(within, shown_before(before)).order_by(key if descending else key.desc())
    else:
        read = query.where(within, *([shown_after(after)] if after is not None else []))
        read = read.order_by(key.desc() if descending else key)
    rows = list(fetch(read.limit(limit + 1)))
    if not rows and (before, after) != (None, None):
        return page(session, query, key=key, within=within, key_of=key_of, fetch=fetch, descending=descending,
                    limit=limit)  # fmt: skip
    more = len(rows) > limit
    rows = rows[:limit] if before is None else rows[:limit][::-1]
    if before is not None:
        more_before, more_after = more, _any(session, within, shown_after(key_of(rows[-1])))
    else:
        more_after, more_before = more, after is not None and _any(session, within, shown_before(key_of(rows[0])))
    return Keyset(rows, before=key_of(rows[0]) if more_before else None,
                  after=key_of(rows[-1]) if more_after else None)  # fmt: skip


def _any(session: Session, *conditions: ColumnElement[bool]) -> bool:
    return bool(session.scalar(select(exists().where(*conditions))))
