"""Core statements compiled once per dialect and run straight on the driver's cursor.

SQLAlchemy spends 40-60 µs building the execution context of each statement, several times what SQLite takes
to run it; on the ingest path that overhead, not the database, set the ceiling. A `Prepared` keeps the SQL text,
the order of its parameters, their constant values and the type conversions SQLAlchemy would apply, and runs
inside the caller's SQLAlchemy transaction, so BEGIN, COMMIT, the pool and error handling stay SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_MISSING = object()


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    constants: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]
    positional: bool
    #: (name, type conversion or None, constant or _MISSING) per parameter, in order: one pass per call.
    plan: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...] = field(init=False)

    def __post_init__(self) -> None:
        plan = tuple((n, self.processors.get(n), self.constants.get(n, _MISSING)) for n in self.names)
        object.__setattr__(self, "plan", plan)

    def arguments(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = []
        get = params.get
        for name, process, constant in self.plan:
            value = get(name, constant)
            if value is _MISSING:
                raise KeyError(name)
            values.append(process(value) if process is not None and value is not None else value)
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))


def _compile(statement: ClauseElement, dialect: Dialect, supplied: Sequence[str], is_insert: bool) -> _Compiled:
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=list(supplied) if is_insert else None))
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("Prepared cannot run statements with expanding IN; write the list out in the SQL")
    types = {name: bind.type for bind, name in compiled.bind_names.items()}
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(types)
    constants = {k: v for k, v in compiled.params.items() if k not in supplied}
    # Nothing may be filled in behind our back (Python-side column defaults need SQLAlchemy's execution context).
    unset = [n for n in names if n not in supplied and constants.get(n) is None]
    if unset:
        raise ValueError(f"Prepared statement needs values for {unset}; list them in `supplied`")
    processors: dict[str, Callable[[Any], Any]] = {}
    for name in names:
        process = types[name].dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    return _Compiled(str(compiled), names, constants, processors, bool(compiled.positional))


class Prepared:
    """One statement, compiled on first use for each dialect it meets."""

    def __init__(self, statement: ClauseElement, supplied: Sequence[str] = ()) -> None:
        """`supplied`: the parameter names every call gives (for an INSERT, the columns it fills)."""
        self._statement = statement
        self._supplied = tuple(supplied)
        self._is_insert = getattr(statement, "is_insert", False)
        self._by_dialect: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _compile(
                self._statement, dialect, self._supplied, self._is_insert
            )
        return compiled

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run with `params` on `conn`'s driver cursor; returns the cursor (for RETURNING rows)."""
        compiled = self._for(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        arguments = compiled.arguments(params)
        try:
            cursor.execute(compiled.sql, arguments)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemy_error(conn, exc, compiled.sql, arguments, cursor) from exc
        return cursor

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        row = self.execute(conn, params).fetchone()
        return tuple(row) if row is not None else None

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        row = self.first(conn, params)
        return row[0] if row is not None else None

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        compiled = self._for(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        arguments = [compiled.arguments(r) for r in rows]
        try:
            cursor.executemany(compiled.sql, arguments)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemy_error(conn, exc, compiled.sql, arguments, cursor) from exc


def _as_sqlalchemy_error(conn: Connection, exc: Any, sql: str, arguments: Any, cursor: Any) -> StatementError:
    """The driver's error as SQLAlchemy raises it for its own statements (IntegrityError, OperationalError, ...),
    with the connection invalidated when the database is gone, so callers handle both kinds of statement alike:
    a lost connection is "storage unavailable", and it is not handed out of the pool again."""
    lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
    if lost:
        conn.invalidate(exc)
    return DBAPIError.instance(sql, arguments, exc, conn.dialect.loaded_dbapi.Error, connection_invalidated=lost,
                               dialect=conn.dialect)  # fmt: skip
