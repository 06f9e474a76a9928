"""Prepared statements: SQLAlchemy's SQL and conversions, run straight on the driver."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select

from hub.db import Database
from hub.models import Revision
from hub.prepared import Prepared


def test_a_parameter_the_caller_should_give_and_did_not_is_an_error(db: Database) -> None:
    statement = Prepared(select(Revision.value).where(Revision.name == bindparam("name")), supplied=["name"])
    with db.write() as conn:
        conn.execute(insert(Revision).values(name="probe", value=7))
        assert statement.scalar(conn, {"name": "probe"}) == 7
        with pytest.raises(KeyError, match="name"):
            statement.scalar(conn, {})
