"""The per-process runtime jobs use: built lazily from the environment, and rebuilt in a forked child."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import Settings
from hub.db import Database
from outbound import runtime


@pytest.fixture(autouse=True)
def fresh_runtime() -> Iterator[None]:
    runtime.reset()
    yield
    runtime.reset()


def test_runtime_is_built_from_environment_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.db'}")
    monkeypatch.setenv("SECRET_KEY", "k")
    first = runtime.current()
    assert first.settings.database_url.endswith("from-env.db") and first.pid == os.getpid()
    assert runtime.current() is first


def test_installed_runtime_wins_over_environment(settings: Settings, db: Database) -> None:
    installed = runtime.install(settings, db)
    assert runtime.current() is installed and installed.db is db


def test_forked_child_gets_its_own_database(settings: Settings, db: Database) -> None:
    runtime.install(settings, db)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            child = runtime.current()
            child.db.ping()
            ok = child.pid == os.getpid() and child.db is not db and child.settings == settings
            os.write(write, b"ok" if ok else b"shared")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"ok"
    assert runtime.current().db is db  # the parent keeps its own
