"""`switchboard worker` and `switchboard dispatch`: help, configuration errors, a full run, and clean stops."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
import redis
from click.testing import CliRunner
from rq import Worker

from hub.net import free_port
from hub.redis_server import RedisServer
from outbound.cli import _work_through_outages, dispatch, worker
from tests.outbound.conftest import Parts, owe_acknowledgement, row
from tests.servers import wait_until

REPO = Path(__file__).resolve().parents[2]


def environment(parts: Parts) -> dict[str, str]:
    """What `switchboard up` would hand its parts: the same database, Redis and relay as the test."""
    return {
        "SWITCHBOARD_HOME": str(parts.settings.home),
        "DATABASE_URL": parts.settings.database_url,
        "REDIS_URL": parts.settings.redis_url or "",
        "SWITCHBOARD_SMTP_RELAY": parts.settings.smtp_relay or "",
        "SECRET_KEY": "test-secret-key",
    }


def test_worker_help_exits_zero() -> None:
    result = CliRunner().invoke(worker, ["--help"])
    assert result.exit_code == 0 and "--burst" in result.output and "--no-fork" in result.output


def test_dispatch_help_exits_zero() -> None:
    result = CliRunner().invoke(dispatch, ["--help"])
    assert result.exit_code == 0 and "--once" in result.output and "--interval" in result.output


@pytest.mark.parametrize(
    ("command", "args"), [(worker, ["--burst"]), (dispatch, ["--once"])], ids=["worker", "dispatch"]
)
def test_missing_redis_url_is_explained(command: click.Command, args: list[str], tmp_path: Path) -> None:
    env = {"SWITCHBOARD_HOME": str(tmp_path), "REDIS_URL": "", "SECRET_KEY": "k"}
    result = CliRunner().invoke(command, args, env=env)
    assert result.exit_code == 1
    assert "REDIS_URL is not set" in result.output and "switchboard up" in result.output


def test_worker_refuses_malformed_relay_url_at_start(parts: Parts) -> None:
    env = environment(parts) | {"SWITCHBOARD_SMTP_RELAY": "smtp://mail.example:notaport"}
    result = CliRunner().invoke(worker, ["--burst"], env=env)
    assert result.exit_code == 1 and "SWITCHBOARD_SMTP_RELAY" in result.output


def test_dispatch_once_then_worker_burst_delivers(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    moved = CliRunner().invoke(dispatch, ["--once"], env=environment(parts))
    assert moved.exit_code == 0, moved.output
    assert "moved 1 notification(s)" in moved.output
    worked = CliRunner().invoke(worker, ["--burst"], env=environment(parts))
    assert worked.exit_code == 0, worked.output
    parts.sink.handler.wait_for(1)
    assert row(parts.db, owed.id).status == "sent"


def test_dispatch_once_with_redis_down_fails_and_keeps_rows(parts: Parts, closed_port: int) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    env = environment(parts) | {"REDIS_URL": f"redis://127.0.0.1:{closed_port}/0"}
    result = CliRunner().invoke(dispatch, ["--once"], env=env)
    assert result.exit_code == 1 and "Redis is unavailable" in result.output
    assert row(parts.db, owed.id).status == "pending"


def test_worker_with_redis_down_says_where_it_looked(parts: Parts, closed_port: int) -> None:
    env = environment(parts) | {"REDIS_URL": f"redis://:secret@127.0.0.1:{closed_port}/0"}
    result = CliRunner().invoke(worker, ["--burst"], env=env)
    assert result.exit_code == 1 and "cannot reach Redis at redis://***@127.0.0.1" in result.output
    assert "secret" not in result.output


def spawn(command: str, parts: Parts, **overrides: str) -> subprocess.Popen[bytes]:
    env = os.environ | environment(parts) | overrides
    return subprocess.Popen(
        [sys.executable, "-m", "hub", command], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def stop(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, out.decode(errors="replace")


def test_worker_stops_cleanly_on_sigterm(parts: Parts) -> None:
    process = spawn("worker", parts)
    connection = redis.Redis.from_url(parts.settings.redis_url or "")
    try:
        # Idle means waiting on the queue: a SIGTERM during RQ's own start-up (scheduler launch) can be swallowed
        # by RQ and leave the worker blocked on its dequeue; `switchboard up` kills a part that outstays its stop.
        wait_until(
            lambda: [w for w in Worker.all(connection=connection) if w.get_state() == "idle"],
            timeout=20,
            message="the worker to wait on its queue",
        )
    finally:
        code, log = stop(process)
    assert code == 0, log
    assert "warm shut down requested" in log, log
    assert Worker.all(connection=connection) == []  # it deregistered on the way out


def test_worker_stopped_while_redis_is_away_exits_instead_of_starting_again(parts: Parts, tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "own-redis", port=free_port(), persist=False).start()
    process = spawn("worker", parts, REDIS_URL=redis_server.url)
    try:
        connection = redis.Redis.from_url(redis_server.url)
        wait_until(lambda: Worker.all(connection=connection), timeout=20, message="the worker to register")
        connection.close()
        redis_server.stop()  # the worker loses Redis, and keeps trying to get it back
        time.sleep(1.0)
    finally:
        code, log = stop(process)  # within 15 s, not the 35 s after which `switchboard up` kills a part
        redis_server.stop()
    assert code == 0, log
    assert "stopping while Redis" in log or "warm shut down requested" in log, log


def test_worker_stopped_during_its_pause_after_losing_redis_says_why_it_stops(
    caplog: pytest.LogCaptureFixture, closed_port: int
) -> None:
    class StopInThePause(logging.Handler):
        """SIGTERM as the worker announces its pause: the signal lands in it, whatever the machine's load."""

        def emit(self, record: logging.LogRecord) -> None:
            if "starting again in" in record.getMessage():
                os.kill(os.getpid(), signal.SIGTERM)

    connection = redis.Redis(port=closed_port)  # nothing listens there: the worker fails at once and pauses
    outbound_log = logging.getLogger("switchboard.outbound")
    outbound_log.addHandler(stopper := StopInThePause())
    try:
        with caplog.at_level(logging.WARNING, logger="switchboard.outbound"):
            _work_through_outages(connection, "redis://127.0.0.1/0", burst=False, fork=False)
    finally:
        outbound_log.removeHandler(stopper)
        connection.close()
    assert "stopping while Redis" in caplog.text, caplog.text


def test_dispatch_stops_cleanly_on_sigterm(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    process = spawn("dispatch", parts)
    try:
        wait_until(lambda: row(parts.db, owed.id).status == "queued", timeout=20, message="the dispatcher to run")
    finally:
        code, log = stop(process)
    assert code == 0, log


def test_dispatch_warns_at_start_when_redis_does_not_answer_and_keeps_running(
    parts: Parts, tmp_path: Path, closed_port: int
) -> None:
    log = tmp_path / "dispatch.log"
    env = os.environ | environment(parts) | {"REDIS_URL": f"redis://:hunter2@127.0.0.1:{closed_port}/0"}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "hub", "dispatch"], env=env, cwd=REPO, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until(lambda: b"does not answer" in log.read_bytes(), timeout=20, message="the dispatcher's warning")
        assert process.poll() is None  # the SLA sweep and other chores need no Redis: it keeps running
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(15)
    text = log.read_text()
    assert process.returncode == 0 and "check REDIS_URL" in text and "hunter2" not in text


def test_outbound_imports_no_upper_layer() -> None:
    probe = (
        "import sys, outbound.cli, outbound.dispatcher, outbound.jobs, outbound.runtime;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('web', 'ingest', 'rules')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_worker_with_redis_down_hides_a_password_holding_an_at_sign(parts: Parts, closed_port: int) -> None:
    env = environment(parts) | {"REDIS_URL": f"redis://:se@cret@127.0.0.1:{closed_port}/0"}
    result = CliRunner().invoke(worker, ["--burst"], env=env)
    assert result.exit_code == 1 and "cannot reach Redis at redis://***@127.0.0.1" in result.output
    assert "cret" not in result.output
