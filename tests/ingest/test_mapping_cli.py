"""`switchboard mapping set|preview|clear`: try a mapping on the latest payloads before saving it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.accounts import create_integration
from hub.cli import main
from hub.db import Database
from hub.intake import Raw
from hub.models import Integration
from ingest.pipeline import make_intake
from tests.conftest import make_settings, migrated_database
from tests.docs import fenced, run_as_printed


@pytest.fixture
def cli(runner: CliRunner, tmp_path: Path) -> CliRunner:
    """A home with a generic integration `tool` whose one payload was refused for want of a title."""
    runner.invoke(main, ["integration", "create", "--name", "tool"])
    settings = make_settings(tmp_path / "var")
    db = Database.connect(settings.database_url)
    body = json.dumps({"alert": {"text": "Queue backlog", "id": "q-1"}}).encode()
    make_intake(settings, db).record_unprocessable(Raw("generic", "application/json", body, 1), "'title' is required")
    db.dispose()
    return runner


def write(tmp_path: Path, spec: object) -> str:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(spec))
    return str(path)


def test_preview_shows_what_a_mapping_makes_of_the_latest_payload(cli: CliRunner, tmp_path: Path) -> None:
    spec = write(tmp_path, {"title": "alert.text", "dedup_key": "alert.id"})
    result = cli.invoke(main, ["mapping", "preview", "tool", "--file", spec])
    assert result.exit_code == 0, result.output
    assert "trigger unknown key='q-1' title='Queue backlog'" in result.output


def test_preview_reports_payloads_the_mapping_still_refuses(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["mapping", "preview", "tool", "--file", write(tmp_path, {"dedup_key": "alert.id"})])
    assert "refused: 'title' is required" in result.output


def test_set_refuses_a_broken_mapping_and_saves_a_good_one(cli: CliRunner, tmp_path: Path) -> None:
    bad = cli.invoke(main, ["mapping", "set", "tool", write(tmp_path, {"title": "alert["})])
    assert bad.exit_code == 2 and "title:" in bad.output
    good = cli.invoke(main, ["mapping", "set", "tool", write(tmp_path, {"title": "alert.text"})])
    assert good.exit_code == 0
    assert "title='Queue backlog'" in cli.invoke(main, ["mapping", "preview", "tool"]).output
    assert cli.invoke(main, ["mapping", "clear", "tool"]).exit_code == 0


@pytest.mark.parametrize(
    ("text", "names"),
    [('{"title": "' + "(" * 5000 + "alert" + ")" * 5000 + '"}', "title: brackets nested too deep to read"),
     ("[" * 100_000 + "]" * 100_000, "nested too deep to read")],
    ids=["expression", "json"],
)  # fmt: skip
def test_set_refuses_a_mapping_nested_thousands_deep_naming_the_problem(
    cli: CliRunner, tmp_path: Path, text: str, names: str
) -> None:
    """Each raised RecursionError, printed as a traceback."""
    (tmp_path / "mapping.json").write_text(text)
    result = cli.invoke(main, ["mapping", "set", "tool", str(tmp_path / "mapping.json")])
    assert result.exit_code == 2 and names in result.output, result.output


def test_the_documented_mapping_runs_as_printed_on_the_tools_payload(tmp_path: Path, migrated_sqlite: Path) -> None:
    """docs/integrations.md's mapping, previewed on a payload of the shape it is written for, then saved."""
    settings = make_settings(tmp_path / "var")
    db = migrated_database(settings.database_url, migrated_sqlite)
    with db.transaction() as session:
        integration = create_integration(session, name="mytool")[0].id
    body = {"host": "db1", "check": {"name": "disk", "output": "95% used", "level": "P1", "state": "CRITICAL"},
            "tags": {"team": "dba"}}  # fmt: skip
    raw = Raw("generic", "application/json", json.dumps(body).encode(), integration)
    make_intake(settings, db).record_unprocessable(raw, "'title' is required")

    [block] = fenced("docs/integrations.md", "A tool whose JSON you cannot change: a mapping", "sh")
    out = run_as_printed(block, settings, tmp_path)
    assert "trigger critical key='db1:disk' title='disk'" in out
    with db.read() as session:
        assert session.get(Integration, integration).mapping["dedup_key"] == "join(':', [host, check.name])"  # type: ignore[union-attr]
    db.dispose()
