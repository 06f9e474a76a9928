"""The Procfile's parts as separate processes sharing PostgreSQL and Redis: how a team that outgrew one machine runs
Switchboard. Each line of the Procfile runs as written, under /bin/sh as honcho or Heroku run it."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.net import free_port
from tests.servers import PostgresCluster, SmtpSink, healthz_ok, listening, wait_until

pytestmark = pytest.mark.postgres

PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"


def procfile() -> dict[str, str]:
    lines = (line.split(":", 1) for line in PROCFILE.read_text().splitlines() if line.strip())
    return {name.strip(): command.strip() for name, command in lines}


@pytest.fixture
def environment(tmp_path: Path, postgres: PostgresCluster, redis_url: str, smtp_sink: SmtpSink) -> dict[str, str]:
    """What the platform gives every process: the shared services' URLs, a port for web, one SECRET_KEY."""
    bin_dir = Path(sys.executable).parent  # gunicorn and switchboard, as installed
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")},
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "DATABASE_URL": postgres.create_database(f"scale_out_{os.getpid()}_{free_port()}"),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "the same for every process",
        "SWITCHBOARD_HOME": str(tmp_path / "var"),
        "PORT": str(free_port()),
        "SWITCHBOARD_SMTP_PORT": str(free_port()),
        "SWITCHBOARD_SMTP_RELAY": smtp_sink.url,
    }


@pytest.fixture
def start(environment: dict[str, str], tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Starts one Procfile part; every part started is stopped with SIGTERM afterwards, as the platform does."""
    commands, started = procfile(), []

    def start_(name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}-{len(started)}.log").open("wb")
        process = subprocess.Popen(["/bin/sh", "-c", f"exec {commands[name]}"], env=environment, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        started.append(process)
        return process

    yield start_
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in started:
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _cli(environment: dict[str, str], *args: str) -> str:
    """An operator's `switchboard` command against the shared services, run in this process: what is tested here
    is the Procfile's parts, not this command's start-up (0.7 s a process, four times)."""
    env = {**dict.fromkeys(k for k in os.environ if k.startswith("SWITCHBOARD_")), **environment}
    done = CliRunner().invoke(main, list(args), env=env)
    assert done.exit_code == 0, done.output
    return done.stdout.splitlines()[-1]


def _post(url: str, token: str, body: dict[str, object] | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Authorization": f"Bearer {token}",
                                                              "Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


def test_procfile_parts_share_postgresql_and_redis(
    environment: dict[str, str], start: Callable[[str], subprocess.Popen[bytes]], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    release = subprocess.run(["/bin/sh", "-c", procfile()["release"]], env=environment, capture_output=True,
                             text=True, timeout=120)  # fmt: skip
    assert release.returncode == 0, release.stderr
    parts = {name: start(name) for name in ("web", "smtp", "dispatch", "imap")}
    workers = [start("worker"), start("worker")]  # scaled out: two workers drain one queue
    base = f"http://127.0.0.1:{environment['PORT']}"

    def healthy() -> bool:
        for name, process in [*parts.items(), ("worker", workers[0]), ("worker", workers[1])]:
            assert process.poll() is None, f"{name} exited: {(tmp_path / f'{name}-0.log').read_text()[-2000:]}"
        return healthz_ok(base) and listening(int(environment["SWITCHBOARD_SMTP_PORT"]))

    wait_until(healthy, timeout=60, message="the web part to report the database and Redis healthy, and SMTP to listen")
    _cli(environment, "user", "create", "--email", "oncall@example.com", "--role", "agent", "--password", "pass-word")
    _cli(environment, "rules", "add", "--name", "crit", "--field", "severity", "--value", "critical",
         "--assign", "oncall@example.com")  # fmt: skip
    secret = _cli(environment, "integration", "create", "--kind", "generic", "--name", "prom")
    token = _cli(environment, "token", "create", "--name", "ops")

    # 40 alerts over 4 keys, 8 at a time, spread by gunicorn over its workers: one incident per key.
    alerts = [{"title": f"Disk full on db{n % 4}", "severity": "critical", "dedup_key": f"disk-db{n % 4}"}
              for n in range(40)]  # fmt: skip
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda a: _post(f"{base}/api/v1/events/prom", secret, a), alerts))
    assert sorted({a["incident"] for a in answers}) == ["INC-1", "INC-2", "INC-3", "INC-4"]  # type: ignore[index]

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "ann@example.com", "helpdesk@localhost", "Printer on fire"
    mail.set_content("Third floor.")
    with smtplib.SMTP("127.0.0.1", int(environment["SWITCHBOARD_SMTP_PORT"]), timeout=10) as client:
        client.send_message(mail)

    listed = _post(f"{base}/api/v1/incidents", token)
    assert sorted((i["source"], i["occurrences"]) for i in listed) == [  # type: ignore[attr-defined]
        ("email", 1), ("generic", 10), ("generic", 10), ("generic", 10), ("generic", 10)
    ]  # fmt: skip
    # One assignment per alert incident and Ann's acknowledgement, delivered by whichever worker took each job.
    received = smtp_sink.handler.wait_for(5, timeout=30)
    assert sorted(r.rcpt_tos[0] for r in received) == ["ann@example.com"] + ["oncall@example.com"] * 4

    for name, process in [*parts.items(), ("worker", workers[0]), ("worker", workers[1])]:
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(40) == 0, f"{name} did not stop cleanly"
