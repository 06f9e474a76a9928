"""`switchboard web`: gunicorn's command line, and the real thing serving /healthz and stopping on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.net import free_port, wait_for_port
from hub.telemetry import MULTIPROC_ENV
from tests.conftest import make_settings
from tests.servers import healthz_ok, wait_until
from web.cli import gunicorn_argv, web


def test_gunicorn_serves_the_wsgi_app_on_the_configured_address_with_sync_workers(tmp_path: Path) -> None:
    argv = gunicorn_argv(make_settings(tmp_path, bind_host="0.0.0.0", web_port=8123, web_workers=3))
    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8123"
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--worker-class") + 1] == "sync"
    assert argv[-1] == "web.wsgi:app"
    assert "--access-logfile" not in argv


def test_gunicorn_brackets_an_ipv6_bind_address(tmp_path: Path) -> None:
    argv = gunicorn_argv(make_settings(tmp_path, bind_host="::1", web_port=8123))
    assert argv[argv.index("--bind") + 1] == "[::1]:8123"


def test_web_help_says_what_it_serves() -> None:
    result = CliRunner().invoke(web, ["--help"])
    assert result.exit_code == 0
    assert "gunicorn" in result.output and "SIGTERM" in result.output


def test_web_refuses_zero_workers_before_starting_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def execv(*args: object) -> None:  # had the check failed, this would have replaced the test process
        raise AssertionError("gunicorn was started")

    monkeypatch.setattr(os, "execv", execv)
    env = {"SWITCHBOARD_HOME": str(tmp_path), "SECRET_KEY": "k", "SWITCHBOARD_WEB_WORKERS": "0"}
    result = CliRunner().invoke(web, [], env=env)
    assert result.exit_code != 0
    assert "SWITCHBOARD_WEB_WORKERS" in result.output


def test_web_warns_that_failed_logins_go_uncounted_without_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "execv", lambda *args: None)  # gunicorn is not started
    # The command goes on to point the metrics at a folder for gunicorn's workers, in this process's environment:
    # named here, so the runner takes it away again and later tests' /metrics read their own registry.
    env = {"SWITCHBOARD_HOME": str(tmp_path), "SECRET_KEY": "k", "SWITCHBOARD_WEB_PORT": str(free_port()),
           "REDIS_URL": None, MULTIPROC_ENV: None}  # fmt: skip
    result = CliRunner().invoke(web, [], env=env)
    assert result.exit_code == 0, result.output
    assert "REDIS_URL is not set" in result.output and "failed logins" in result.output


def test_web_says_which_setting_to_change_when_its_port_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def execv(*args: object) -> None:
        raise AssertionError("gunicorn was started")

    monkeypatch.setattr(os, "execv", execv)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        env = {
            "SWITCHBOARD_HOME": str(tmp_path),
            "SECRET_KEY": "k",
            "SWITCHBOARD_WEB_PORT": str(taken.getsockname()[1]),
        }
        result = CliRunner().invoke(web, [], env=env)
    assert result.exit_code == 1
    assert "cannot listen" in result.output and "set SWITCHBOARD_WEB_PORT to a free port" in result.output


def test_switchboard_web_serves_healthz_and_stops_cleanly_on_sigterm(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    env = dict(
        os.environ,
        SWITCHBOARD_HOME=str(tmp_path / "var"),
        SECRET_KEY="test-secret-key",
        REDIS_URL=redis_url,
        SWITCHBOARD_WEB_PORT=str(port),
        SWITCHBOARD_WEB_WORKERS="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "web"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        assert wait_until(lambda: healthz_ok(f"http://127.0.0.1:{port}"), timeout=15, message="/healthz to answer 200")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        output = process.stdout.read().decode() if process.stdout else ""
    assert "Booting worker" in output, output
