"""Prepared statements hand the driver exactly what SQLAlchemy would, only faster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, bindparam, insert, select
from sqlalchemy.dialects import sqlite

from hub.db import Database
from hub.models import Revision
from hub.prepared import Prepared, _fast_sqlite_datetime


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 26, 6, 42, 1),
        datetime(2026, 11, 26, 6, 42, 1, 7),
        datetime(5, 1, 1),
        datetime(2026, 1, 2, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_the_fast_datetime_conversion_writes_what_sqlalchemy_writes(value: datetime) -> None:
    dialect = sqlite.dialect()
    general = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert general is not None
    assert _fast_sqlite_datetime(general)(value) == general(value)


def test_a_parameter_the_caller_should_give_and_did_not_is_an_error(db: Database) -> None:
    statement = Prepared(select(Revision.value).where(Revision.name == bindparam("name")), supplied=["name"])
    with db.write() as conn:
        conn.execute(insert(Revision).values(name="probe", value=7))
        assert statement.scalar(conn, {"name": "probe"}) == 7
        with pytest.raises(KeyError, match="name"):
            statement.scalar(conn, {})
