"""Service desk addresses, each with the category and group its mail gets when no specific rule decides them.

The addresses in SWITCHBOARD_DESK_ADDRESS are desks without defaults; `switchboard desk add` adds more (or gives
one of those defaults) in the `desk_addresses` table. SMTP accepts mail for any of them and refuses the rest.

Where the defaults sit among the rules: a rule that tests something about the event wins over them; a catch-all
rule gives way to them (hub/routing_defaults.py, which a request type's defaults go through too).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, ScalarSelect, bindparam, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub import revisions
from hub.addresses import is_address
from hub.db import Database
from hub.domain import Decision, RuleBook
from hub.errors import BadInput, StorageUnavailable
from hub.models import DeskAddress
from hub.prepared import Prepared
from hub.routing_defaults import Defaults, over_catch_alls

#: Bumped when a desk address is added or removed: the intake's DeskAddresses reads the table again.
DESKS_REVISION = "desks"


@dataclass(frozen=True)
class Desk:
    address: str
    category: str | None = None
    group: str | None = None
    configured: bool = False  # from the table (else only from SWITCHBOARD_DESK_ADDRESS)


def _normalise(address: str) -> str:
    text = address.strip().lower()
    if not is_address(text):
        raise BadInput(f"{address!r} is not an email address; give one like helpdesk@example.com")
    return text


def add_desk(session: Session, address: str, *, category: str | None = None, group: str | None = None) -> Desk:
    """Add a desk address, or change the defaults of one already added."""
    key = _normalise(address)
    row = session.get(DeskAddress, key)
    if row is None:
        row = DeskAddress(address=key)
        session.add(row)
    row.category = (category or "").strip()[:100] or None
    row.group = (group or "").strip()[:100] or None
    session.flush()
    revisions.bump(session, DESKS_REVISION)
    return Desk(row.address, row.category, row.group, configured=True)


def remove_desk(session: Session, address: str) -> None:
    row = session.get(DeskAddress, _normalise(address))
    if row is None:
        raise BadInput(f"no desk address {address!r} was added; `switchboard desk list` shows them")
    session.delete(row)
    revisions.bump(session, DESKS_REVISION)


def list_desks(session: Session, environment: Iterable[str]) -> list[Desk]:
    """Every desk: those added, then those only in SWITCHBOARD_DESK_ADDRESS."""
    rows = session.scalars(select(DeskAddress).order_by(DeskAddress.address)).all()
    desks = [Desk(r.address, r.category, r.group, configured=True) for r in rows]
    known = {d.address for d in desks}
    return desks + [Desk(a.lower()) for a in environment if a.lower() not in known]


_FIND = Prepared(
    select(DeskAddress.address, DeskAddress.category, DeskAddress.group).where(
        DeskAddress.address == bindparam("address")
    ),
    ["address"],
)


def find(conn: Connection, address: str | None) -> Desk | None:
    """The configured desk with this address (in the intake's transaction), or None."""
    if not address:
        return None
    row = _FIND.first(conn, {"address": address.lower()})
    return Desk(row[0], row[1], row[2], configured=True) if row is not None else None


def configured(conn: Connection) -> dict[str, Desk]:
    """Every desk added with `switchboard desk add`, by address, as `find` reads one: for a trial of the rules over
    many events (rules/backtest.py), one query per run instead of one per event."""
    return {row[0]: Desk(row[0], row[1], row[2], configured=True)
            for row in conn.execute(select(DeskAddress.address, DeskAddress.category, DeskAddress.group))}  # fmt: skip


def added_desk(address: ColumnElement[str | None] | InstrumentedAttribute[str | None]) -> ScalarSelect[str]:
    """The desk address added with `switchboard desk add` that `address` (a column of the caller's statement) is,
    else NULL: a column of a statement that reads it anyway, so knowing costs no statement of its own."""
    return select(DeskAddress.address).where(DeskAddress.address == func.lower(address)).scalar_subquery()


class DeskAddresses:
    """Per process: every address of the desk's, SWITCHBOARD_DESK_ADDRESS's and the table's, lower-cased; the table
    is read again only when the `desks` revision moves, so the intake knows them for no statement of its own."""

    def __init__(self, environment: Iterable[str]) -> None:
        self._environment = frozenset(a.lower() for a in environment)
        self._version: int | None = None
        self._known = self._environment

    def current(self, conn: Connection, seen: revisions.Revisions) -> frozenset[str]:
        version = seen.of(conn).get(DESKS_REVISION, 0)
        if version != self._version:
            self._known = self._environment | frozenset(conn.scalars(select(DeskAddress.address)))
            self._version = version
        return self._known


def with_defaults(decision: Decision, desk: Desk | None, book: RuleBook) -> Decision:
    """The decision with the desk's category and group where no specific rule set them (pure)."""
    if desk is None or not (desk.category or desk.group):
        return decision
    defaults = Defaults(desk.category, desk.group, f"desk {desk.address}", f"sent to {desk.address}",
                        "the desk's defaults, over catch-all rules")  # fmt: skip
    return over_catch_alls(decision, defaults, book)


class DeskDirectory:
    """Which addresses SMTP accepts mail for: the environment's and the table's, re-read every few seconds so a
    desk added with the CLI is accepted without a restart, and without a query per RCPT."""

    def __init__(self, db: Database, environment: Iterable[str], *, ttl: float = 5.0) -> None:
        self._db = db
        self._environment = frozenset(a.lower() for a in environment)
        self._ttl = ttl
        self._lock = threading.Lock()
        self._known: frozenset[str] = self._environment
        self._read_at = float("-inf")

    def addresses(self) -> frozenset[str]:
        """The addresses as last read; StorageUnavailable if the table could never be read."""
        with self._lock:
            if time.monotonic() - self._read_at > self._ttl:
                try:
                    with self._db.read() as session:
                        table = frozenset(session.scalars(select(DeskAddress.address)))
                    self._known = self._environment | table
                    self._read_at = time.monotonic()
                except (StorageUnavailable, SQLAlchemyError) as exc:
                    if self._read_at == float("-inf"):
                        raise StorageUnavailable(f"the desk addresses cannot be read: {exc}") from exc
                    # Storage down after a good read: keep that list (DATA answers 451 anyway).
            return self._known

    def accepts(self, address: str) -> bool:
        """Whether mail for `address` is ours. An address of the environment's always is; any other raises
        StorageUnavailable while the table was never read, so the sender is told to retry, not that it is
        unknown (a 5xx would bounce the mail for good)."""
        address = address.lower()
        return address in self._environment or address in self.addresses()
