"""Migrations are the schema: they must build exactly what the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hub.db import Database
from hub.migrate import alembic_config, upgrade
from hub.models import Base


@pytest.mark.empty_database
def test_upgrade_builds_the_schema_the_models_describe(database_url: str) -> None:
    db = Database.connect(database_url)
    upgrade(db.engine)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    db.dispose()


@pytest.mark.empty_database
def test_upgrade_twice_is_harmless_and_downgrade_removes_everything(database_url: str) -> None:
    db = Database.connect(database_url)
    upgrade(db.engine)
    upgrade(db.engine)
    command.downgrade(alembic_config(database_url), "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.dispose()
