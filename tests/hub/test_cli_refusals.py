"""What the command line cannot store is refused with a message, never a database error: on SQLite, which stores
anything, and on PostgreSQL, which enforces column widths and 32-bit ids (each of these was a traceback there)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from tests.conftest import copied_schema

LONG = "x" * 400
REFUSED = [
    ["user", "create", "--email", f"{LONG}@example.com", "--role", "agent", "--password", "a long passphrase"],
    ["group", "set", LONG, "--member", "ann@example.com"],
    ["group", "set", "dba", "--member", f"{LONG}@example.com"],
    ["channel", "create", "--kind", "email", "--name", "dba-team", "--to", f"{LONG}@example.com"],
    ["desk", "add", f"{LONG}@example.com"],
    ["events", "reprocess", "9" * 25],
    ["outbox", "retry", "2147483648"],
    ["outbox", "discard", "2147483648"],
    ["silence", "expire", "2147483648"],
    ["rules", "disable", "2147483648"],
    ["rules", "diff", "2147483648"],
]


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite: Path) -> CliRunner:
    copied_schema(database_url, migrated_sqlite)
    monkeypatch.setenv("SWITCHBOARD_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    return runner


@pytest.mark.parametrize("args", REFUSED, ids=lambda args: " ".join(args[:2]))
def test_what_cannot_be_stored_is_refused_with_a_message(cli: CliRunner, args: list[str]) -> None:
    result = cli.invoke(main, args)
    assert isinstance(result.exception, SystemExit) and result.exit_code in (1, 2), result.exception
    assert "Error:" in result.output
