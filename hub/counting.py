"""How many rows a list's filter finds, for the `X-Total-Count` of the API's lists (web/paging.py) and the list
page's "more than 10,000": every one, or, asked to stop, at most so many.

A full count reads every row the filter finds (200,000 index entries for an unfiltered large desk, millions for the
events); a count that stops reads `most` + 1 rows at most.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def counted(session: Session, found: Select[Any], most: int | None) -> tuple[int, bool]:
    """How many rows `found` (a SELECT of one narrow column, unordered) holds, and whether that is all of them:
    every one when `most` is None, else the count stops past `most` (and answers `most`, False)."""
    if most is None:
        return int(session.scalar(select(func.count()).select_from(found.subquery())) or 0), True
    total = int(session.scalar(select(func.count()).select_from(found.limit(most + 1).subquery())) or 0)
    return (total, True) if total <= most else (most, False)
