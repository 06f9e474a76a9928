"""`switchboard integration list`, and what `integration create --name` says of where the name shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from hub.db import Database
from hub.models import Event, Integration
from tests.hub.commands import run


def test_list_prints_each_integration_with_its_limit_created_and_last_event(runner: CliRunner, tmp_path: Path) -> None:
    run(runner, "integration", "create", "--kind", "alertmanager", "--name", "prom", "--rate-limit", "60")
    run(runner, "integration", "create", "--kind", "pagerduty", "--name", "pd")
    db = Database.connect(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}")
    try:
        with db.transaction() as session:
            prom = session.scalar(select(Integration.id).where(Integration.name == "prom"))
            session.add(Event(source="alertmanager", integration_id=prom, content_type="application/json", raw=b"{}",
                              received_at=datetime(2030, 3, 1, 22, 5, tzinfo=UTC)))  # fmt: skip
    finally:
        db.dispose()
    pd, prom_line = run(runner, "--utc", "integration", "list").splitlines()
    assert pd.startswith("pd  pagerduty  no limit  created ") and pd.endswith("last event never")
    assert prom_line.startswith("prom  alertmanager  60/min  created ")
    assert prom_line.endswith("last event 2030-03-01 22:05 UTC")


def test_list_json_has_each_integration_as_the_api_does(runner: CliRunner) -> None:
    run(runner, "integration", "create", "--name", "prom")
    run(runner, "integration", "set", "prom", "--disable")
    [listed] = json.loads(run(runner, "integration", "list", "--json"))
    assert listed | {"created_at": None} == {"name": "prom", "kind": "generic", "enabled": False, "rate_limit": None,
                                            "reopen_window": None, "auto_resolve_after": None, "created_at": None,
                                            "last_event_at": None}  # fmt: skip


def test_list_with_none_says_how_to_make_one(runner: CliRunner) -> None:
    assert "switchboard integration create --kind alertmanager" in run(runner, "integration", "list")


def test_create_help_says_pagerduty_and_opsgenie_post_to_their_own_api_whatever_the_name(runner: CliRunner) -> None:
    shown = " ".join(run(runner, "integration", "create", "--help").split())
    assert "/api/v1/events/<name>, but pagerduty to /v2/enqueue and opsgenie to /v2/alerts, whatever the name" in shown
