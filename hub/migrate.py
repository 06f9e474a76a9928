"""Schema migrations (Alembic), run programmatically so no alembic.ini is needed next to the install."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from hub.db import Database, storage_faults

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest). Safe to run on every start."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def upgrade_database(database_url: str, *, timeout: float = 5.0) -> str:
    """Connect, migrate to the newest schema and disconnect; returns the URL without its password, for messages."""
    db = Database.connect(database_url, timeout=timeout)
    try:
        with storage_faults():  # an unreachable database is StorageUnavailable, which the commands explain
            upgrade(db.engine)
    finally:
        db.dispose()
    return db.engine.url.render_as_string(hide_password=True)
