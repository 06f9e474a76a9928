"""What the database will do for a statement (EXPLAIN), for the tests that show a lookup goes through an index."""

from __future__ import annotations

from sqlalchemy import Executable, text

from hub.db import Database


def plan(db: Database, query: Executable) -> str:
    """The database's plan for `query` (its parameters written in), one line per step: SQLite's EXPLAIN QUERY PLAN
    (`SEARCH t USING INDEX ...`) or PostgreSQL's EXPLAIN (`Index Scan using ...`)."""
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    with db.read() as session:
        return "\n".join(str(row[-1]) for row in session.execute(text(explain + sql)))
