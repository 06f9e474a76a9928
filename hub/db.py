"""Database engine and transactions: SQLite (WAL) by default, PostgreSQL through DATABASE_URL.

Every write goes through `transaction()`, which turns "the database is not there or did not answer in time" into
`StorageUnavailable`, so the edges can answer with a temporary failure instead of a 500.
"""

from __future__ import annotations

import copy
import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import StorageUnavailable
from hub.sqlite_writes import WalSync, WriteGate

_READONLY = "switchboard_readonly"


def make_engine(database_url: str, *, timeout: float = 5.0) -> Engine:
    """Create an engine tuned for many short write transactions."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout})
        _tune_sqlite(engine, timeout)
        return engine
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        connect_args={"connect_timeout": max(1, int(timeout))},
    )
    event.listen(engine, "connect", _nul_free_text)
    return engine


def _nul_free_text(dbapi_connection, _record):  # type: ignore[no-untyped-def]
    """PostgreSQL's text cannot hold NUL, which SQLite's can, and an alert or a mail may carry one (JSON's
    `\u0000`, an encoded-word, a stray byte): every text parameter has it replaced by U+FFFD. Otherwise the one
    bad character fails the whole transaction, and a sender that retries it fails for ever."""
    dbapi_connection.adapters.register_dumper(str, _nul_free_dumper())


@functools.cache
def _nul_free_dumper() -> type:
    from psycopg.abc import Buffer  # psycopg is imported only by installations on PostgreSQL
    from psycopg.types.string import StrDumperUnknown

    class NulFreeText(StrDumperUnknown):
        def dump(self, obj: str) -> Buffer | None:
            return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)

    return NulFreeText


def _tune_sqlite(engine: Engine, timeout: float) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so two writers queue on the lock instead of failing.

    pysqlite's own transaction handling starts transactions lazily and as DEFERRED; a deferred reader that later
    writes can fail at once with SQLITE_BUSY. Taking the write lock at BEGIN makes writers wait (busy_timeout).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL, because Database.write() and .transaction() fsync the log themselves after each commit, outside
        # the write lock (hub/sqlite_writes.py): what we acknowledge survives a power cut all the same.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Each transaction after another process's commit starts with a cold page cache (SQLite's cache is per
        # connection); reading the database through a memory map makes that re-read nearly free. Measured with
        # two web workers writing: +60% events/s (bench/webhook_ingest.py).
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        readonly = connection.get_execution_options().get(_READONLY, False)
        # Straight on the driver: SQLAlchemy's statement machinery costs more than the BEGIN (a failure here is
        # sqlite3's own OperationalError, which storage_faults maps like SQLAlchemy's).
        connection.connection.driver_connection.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")


#: What must still hold when a write commits, read at its start under its lock (`Database.guarded`).
Guard = Callable[[Connection], None]


class Database:
    """The engine plus ways in: `transaction()` (ORM) and `write()` (Core) for writes, `read()` and `reader()`."""

    _guards: tuple[Guard, ...] = ()

    def __init__(self, engine: Engine, *, timeout: float = 5.0) -> None:
        self.engine = engine
        self.timeout = timeout
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        on_file = bool(path) and path != ":memory:"
        self._gate = WriteGate(Path(f"{path}.lock"), timeout) if on_file else None
        self._wal = WalSync(Path(f"{path}-wal")) if on_file else None
        self._writes = sessionmaker(engine, expire_on_commit=False)
        self._read_engine = engine.execution_options(**{_READONLY: True})
        self._reads = sessionmaker(self._read_engine, expire_on_commit=False)

    @classmethod
    def connect(cls, database_url: str, *, timeout: float = 5.0) -> Database:
        return cls(make_engine(database_url, timeout=timeout), timeout=timeout)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def guarded(self, guard: Guard) -> Database:
        """This database (the same engine and write lock), whose every write transaction first runs `guard`, which
        raises to refuse it. What a caller checked before calling an action that opens its own transactions (that
        the person acting may still act) can change before they begin; checked inside, it holds at the commit."""
        twin = copy.copy(self)
        twin._guards = (*self._guards, guard)
        return twin

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error; storage faults become StorageUnavailable."""
        with self._write_slot(), storage_faults(), self._writes.begin() as session:
            for guard in self._guards:  # none, mostly: the session then connects when first used, as before
                guard(session.connection())
            yield session
        self._make_durable()

    @contextmanager
    def write(self, *, wait: float | None = None) -> Iterator[Connection]:
        """A Core connection in one write transaction: for hot paths where ORM bookkeeping costs too much.

        The connection is taken from the pool before queueing for the write slot, so the slot is held for the
        transaction alone. `wait`: how long to queue for SQLite's write slot (the database's timeout unless given;
        0 for a write worth doing only if no one else is writing), else StorageUnavailable."""
        with storage_faults(), self.engine.connect() as connection, self._write_slot(wait), connection.begin():
            for guard in self._guards:
                guard(connection)
            yield connection
        self._make_durable()

    def _write_slot(self, wait: float | None = None) -> AbstractContextManager[None]:
        return self._gate.held(wait) if self._gate is not None else nullcontext()

    def _make_durable(self) -> None:
        """After a commit, before the caller acknowledges anything: flush SQLite's log (PostgreSQL did at COMMIT)."""
        if self._wal is not None:
            self._wal.sync()

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A Core connection for a quick read on a hot path; it never takes SQLite's write lock."""
        with storage_faults(), self._read_engine.connect() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session that never takes SQLite's write lock."""
        with storage_faults(), self._reads() as session:
            yield session  # closing ends the transaction; loaded objects stay readable

    def ping(self) -> None:
        """Raise StorageUnavailable unless the database answers a trivial query."""
        with storage_faults(), self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def storage_faults() -> Iterator[None]:
    """Database errors that mean "not there, or did not answer in time" raised as StorageUnavailable."""
    try:
        yield
    except OperationalError as exc:
        raise StorageUnavailable(f"database unavailable: {exc.orig}") from exc
    except sqlite3.OperationalError as exc:  # from a BEGIN issued on the driver itself (_tune_sqlite)
        raise StorageUnavailable(f"database unavailable: {exc}") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StorageUnavailable(f"database connection lost: {exc.orig}") from exc
        raise


def insert_new(conn: Connection, model: Any, returning: Any, **values: Any) -> Any | None:
    """Insert a row of `model` unless one with the same unique key exists (ON CONFLICT DO NOTHING, on SQLite and
    PostgreSQL alike); the `returning` column's value when this call made the row, None when it was there. How
    several processes agree that exactly one of them does something once (rowcount is no guide here)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    made = conn.execute(dialect.insert(model).values(**values).on_conflict_do_nothing().returning(returning))
    found = made.first()
    return None if found is None else found[0]
