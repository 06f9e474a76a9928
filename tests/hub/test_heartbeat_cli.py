"""`switchboard heartbeat`: add one for an integration, list it, remove it."""

from __future__ import annotations

from click.testing import CliRunner

from hub.cli import main


def test_add_prints_how_to_ping_and_list_shows_it_on_time(runner: CliRunner) -> None:
    runner.invoke(main, ["integration", "create", "--kind", "alertmanager", "--name", "prometheus"])
    made = runner.invoke(main, ["heartbeat", "add", "--integration", "prometheus", "--name", "watchdog",
                                "--every", "5m"])  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.output.startswith("prometheus/watchdog: a ping every 5 min, first due ")
    ping = "curl -fsS -X POST -H 'Authorization: Bearer <secret>' http://127.0.0.1:8000/api/v1/heartbeats/prometheus/"
    assert ping + "watchdog\n" in made.output
    listed = runner.invoke(main, ["heartbeat", "list"]).output
    assert listed.startswith("prometheus/watchdog: every 5 min, last ping ") and listed.rstrip().endswith("ok")


def test_remove_and_an_unknown_integration_say_what_happened(runner: CliRunner) -> None:
    refused = runner.invoke(main, ["heartbeat", "add", "--integration", "nope", "--name", "w", "--every", "5m"])
    assert refused.exit_code == 1 and "there is no integration 'nope'" in refused.output
    runner.invoke(main, ["integration", "create", "--kind", "generic", "--name", "cron"])
    runner.invoke(main, ["heartbeat", "add", "--integration", "cron", "--name", "backup", "--every", "1d"])
    assert runner.invoke(main, ["heartbeat", "remove", "--integration", "cron", "--name", "backup"]).exit_code == 0
    assert "No heartbeats" in runner.invoke(main, ["heartbeat", "list"]).output


def test_the_ping_line_for_a_name_with_a_space_is_a_url_curl_takes(runner: CliRunner) -> None:
    runner.invoke(main, ["integration", "create", "--kind", "generic", "--name", "cron"])
    made = runner.invoke(main, ["heartbeat", "add", "--integration", "cron", "--name", "nightly backup",
                                "--every", "1d"])  # fmt: skip
    assert made.output.rstrip().endswith("/api/v1/heartbeats/cron/nightly%20backup")
