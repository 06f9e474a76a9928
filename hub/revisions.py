"""Revision counters: bumped in the transaction that changes what a per-process cache holds (rules, SLA
policies), read by the caches to know when to reload.

The ingest path needs several of them for one event; `Revisions` reads them all in one statement, once per
transaction. A write transaction holds the database's write lock, so no one else can bump them meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, RootTransaction, select, update
from sqlalchemy.orm import Session

from hub.models import Revision
from hub.prepared import Prepared

_ALL = Prepared(select(Revision.name, Revision.value))


def bump(session: Session, name: str) -> None:
    """Call in the transaction that changes what revision `name` stands for, so every process reloads it."""
    updated = session.execute(update(Revision).where(Revision.name == name).values(value=Revision.value + 1))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(Revision(name=name, value=1))


class Revisions:
    """Every revision counter as the caller's current transaction sees it, read on its first question."""

    def __init__(self) -> None:
        self._cached: tuple[RootTransaction | None, Mapping[str, int]] = (None, {})

    def of(self, conn: Connection) -> Mapping[str, int]:
        transaction = conn.get_transaction()
        read_in, values = self._cached
        if transaction is None or transaction is not read_in:
            values = {name: value for name, value in _ALL.execute(conn, {}).fetchall()}
            self._cached = (transaction, values)
        return values
