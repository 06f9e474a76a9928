"""Fixtures that run a web test module on SQLite and on PostgreSQL: import them into the module.

PostgreSQL's SQL is stricter than SQLite's (GROUP BY, 32-bit ids, column widths), so the tests that sweep every
page or route run on both. `settings` replaces conftest's (SQLite only); the app, its database and the intake
follow it; `runner` points the CLI at the same database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.config import Settings
from tests.conftest import make_settings


@pytest.fixture(name="settings")
def settings_on_either_database(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", database_url=database_url)


@pytest.fixture(name="runner")
def runner_on_the_same_database(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SWITCHBOARD_HOME", str(settings.home))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    return CliRunner()
