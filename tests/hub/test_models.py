"""Column types: what they write is what SQLAlchemy's general conversion would write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from hub.models import UTCDateTime


def _general(value: datetime) -> object:
    """SQLAlchemy's two stages: the decorator's conversion, then SQLite's DATETIME format."""
    dialect = sqlite.dialect()
    converted = UTCDateTime().process_bind_param(value, dialect)
    process = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    return process(converted)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 26, 6, 42, 1, tzinfo=UTC),
        datetime(2026, 11, 26, 6, 42, 1, 7, tzinfo=UTC),
        datetime(5, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 3, 29, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    ],
)
def test_the_sqlite_conversion_of_utc_datetimes_writes_what_sqlalchemy_writes(value: datetime) -> None:
    process = UTCDateTime().bind_processor(sqlite.dialect())
    assert process(value) == _general(value)


def test_a_naive_datetime_is_refused_on_sqlite_too() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().bind_processor(sqlite.dialect())(datetime(2026, 1, 1))
