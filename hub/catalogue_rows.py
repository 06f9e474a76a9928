"""What storing any of the catalogue's entries (services, calendars, SLA policies) shares: the name checked, the
row flushed with a clash of names as a mistake in the name, a change's columns set, and the `sla` revision bumped.

It sits below hub/catalogue.py and hub/calendars.py so both use it and neither imports the other's helpers: the
policies read their calendars (hub/catalogue.py imports hub/calendars.py), never the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import revisions
from hub.errors import BadField, BadInput
from hub.names import check_name

SLA_REVISION = "sla"


def bump_version(session: Session) -> None:
    """Call in the transaction that changes calendars or policies, so every process reloads them."""
    revisions.bump(session, SLA_REVISION)


def checked_name(text: str, what: str, field: str = "name") -> str:
    """check_name's answer, its complaint about `field`."""
    try:
        return check_name(text, what)
    except BadInput as exc:
        raise BadField(field, str(exc)) from None


def flush_unique(session: Session, row: Any, what: str, name: str, listing: str) -> None:
    """Add `row` (if new) and flush it; a name another `what` has already is a mistake in the name, the command
    `listing` shows them."""
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise BadField("name", f"there is already a {what} named {name!r}; `{listing}` shows them") from None


def set_columns(row: Any, columns: dict[str, Any]) -> bool:
    """Set `columns` on `row`; whether any of them differed."""
    moved = False
    for column, value in columns.items():
        if getattr(row, column) != value:
            setattr(row, column, value)
            moved = True
    return moved


def quoted(one: str, many: str, names: Sequence[str]) -> str:
    """Names in a sentence: `policy 'P1'`, `policies 'P1', 'P3'`."""
    return f"{one if len(names) == 1 else many} " + ", ".join(repr(name) for name in names)
