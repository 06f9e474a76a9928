"""What storing any of the catalogue's entries (services, calendars, SLA policies) shares: one found by name, the
name checked, the row flushed with a clash of names as a mistake in the name, a change's columns set, and the `sla`
revision bumped; so each kind's add, change and lookup refuse the same things in the same words.

It sits below hub/catalogue.py and hub/calendars.py so both use it and neither imports the other's helpers: the
policies read their calendars (hub/catalogue.py imports hub/calendars.py), never the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import revisions
from hub.errors import BadField, BadInput, Missing
from hub.models import BusinessCalendar, Service, SlaPolicy
from hub.names import check_name

SLA_REVISION = "sla"
Entry = TypeVar("Entry", Service, SlaPolicy, BusinessCalendar)


def bump_version(session: Session) -> None:
    """Call in the transaction that changes calendars or policies, so every process reloads them."""
    revisions.bump(session, SLA_REVISION)


def checked_name(text: str, what: str, field: str = "name") -> str:
    """check_name's answer, its complaint about `field`."""
    try:
        return check_name(text, what)
    except BadInput as exc:
        raise BadField(field, str(exc)) from None


def get_entry(session: Session, model: type[Entry], name: str, *, what: str, listing: str, lock: bool = False) -> Entry:
    """The `what` named `name`, which the command `listing` lists; `lock`: locked for the caller's change, so two
    admins' changes of it take turns."""
    query = select(model).where(model.name == name.strip())
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise Missing(f"there is no {what} {name.strip()!r}; `{listing}` shows them")
    return row


def store(session: Session, row: Any, what: str, listing: str) -> None:
    """Add `row` (if new), flush it and bump the revision; a name another `what` has already is a mistake in the
    name, the command `listing` shows them."""
    flush_named(session, row, what, listing)
    bump_version(session)


def flush_named(session: Session, row: Any, what: str, listing: str) -> None:
    """Add `row` (if new) and flush it, a unique name taken by another `what` refused as a mistake in the name (the
    catalogue's entries, and the request types, which no SLA revision follows)."""
    name = row.name  # read now: a refused flush expires the row
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise BadField("name", f"there is already a {what} named {name!r}; `{listing}` shows them") from None


def store_change(
    session: Session, row: Any, columns: dict[str, Any], *, new_name: str | None, what: str, listing: str
) -> bool:
    """Set `columns` on `row` (locked), and the name `new_name` when given, checked, then `store` it; whether
    anything changed (nothing is stored when nothing did)."""
    if new_name is not None:
        columns = {**columns, "name": checked_name(new_name, what)}
    if not set_columns(row, columns):
        return False
    store(session, row, what, listing)
    return True


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
