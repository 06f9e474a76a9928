"""The whole hub as a user starts it: `switchboard up` on free ports, an alert and an email in, incidents and
notifications out. Real processes, real embedded Redis, real SMTP relay sink."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from hub.net import free_port
from tests.docs import fenced
from tests.servers import SmtpSink, healthz_ok, listening, wait_until


def switchboard(env: dict[str, str], *args: str) -> str:
    """Run a `switchboard` command; return its standard output."""
    done = subprocess.run([sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def http(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Authorization": f"Bearer {token}"})
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@pytest.fixture
def hub_env(tmp_path: Path, smtp_sink: SmtpSink) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env.update(
        SWITCHBOARD_HOME=str(tmp_path / "var"),
        SWITCHBOARD_WEB_PORT=str(free_port()),
        SWITCHBOARD_SMTP_PORT=str(free_port()),
        SWITCHBOARD_SMTP_RELAY=smtp_sink.url,
    )
    return env


@pytest.fixture
def running_hub(hub_env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "up"], env=hub_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{hub_env['SWITCHBOARD_WEB_PORT']}"

    def healthy() -> bool:
        assert process.poll() is None, f"switchboard up exited early:\n{process.stdout.read()}"  # type: ignore[union-attr]
        return healthz_ok(base) and listening(int(hub_env["SWITCHBOARD_SMTP_PORT"]))

    wait_until(healthy, timeout=60, message="switchboard up to report healthy and its SMTP part to listen")
    yield process
    if process.poll() is None:  # stop it as a user would, so no part outlives the test
        process.send_signal(signal.SIGINT)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_alert_and_email_become_routed_incidents_with_notifications_delivered(
    hub_env: dict[str, str], smtp_sink: SmtpSink, running_hub: subprocess.Popen[str]
) -> None:
    base = f"http://127.0.0.1:{hub_env['SWITCHBOARD_WEB_PORT']}"
    secret = switchboard(hub_env, "integration", "create", "--kind", "generic", "--name", "e2e").splitlines()[-1]
    token = switchboard(hub_env, "token", "create", "--name", "e2e").splitlines()[-1]
    switchboard(
        hub_env, "user", "create", "--email", "oncall@example.com", "--role", "agent", "--password", "s3cret-pass"
    )
    switchboard(hub_env, "rules", "add", "--name", "crit", "--field", "severity", "--value", "critical",
                "--category", "outage", "--assign", "oncall@example.com")  # fmt: skip

    alert = {"title": "Disk full on db1", "severity": "critical", "dedup_key": "disk-db1"}
    status, body = http("POST", f"{base}/api/v1/events/e2e", secret, alert)
    assert status == 202 and body["incident"] == "INC-1"  # type: ignore[index]
    status, body = http("POST", f"{base}/api/v1/events/e2e", secret, alert)
    assert status == 202 and body["occurrences"] == 2  # type: ignore[index]

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@example.com", "helpdesk@localhost", "Printer on fire"
    msg["Message-ID"] = "<printer-1@example.com>"
    msg.set_content("Third floor.")
    with smtplib.SMTP("127.0.0.1", int(hub_env["SWITCHBOARD_SMTP_PORT"]), timeout=10) as client:
        client.send_message(msg)

    status, incidents = http("GET", f"{base}/api/v1/incidents", token)
    assert status == 200
    by_ref = {i["ref"]: i for i in incidents}  # type: ignore[attr-defined]
    assert by_ref["INC-1"]["assignee"] == "oncall@example.com" and by_ref["INC-1"]["occurrences"] == 2
    assert by_ref["INC-1"]["category"] == "outage" and by_ref["INC-1"]["source"] == "generic"
    assert by_ref["INC-2"]["assignee"] == "service-desk" and by_ref["INC-2"]["source"] == "email"

    received = {r.rcpt_tos[0]: r.message for r in smtp_sink.handler.wait_for(2, timeout=30)}
    ack = received["ann@example.com"]
    assert ack["Subject"] == "[INC-2] Printer on fire" and ack["In-Reply-To"] == "<printer-1@example.com>"
    assert received["oncall@example.com"]["Subject"].startswith("[INC-1] P1")

    # Ingest latency is observed in each gunicorn worker and in the SMTP listener, and /metrics adds them up.
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        metrics = resp.read().decode()
    assert 'switchboard_ingest_seconds_count{source="e2e"} 2.0' in metrics
    assert 'switchboard_ingest_seconds_count{source="email"} 1.0' in metrics


def answers(output: str) -> list[Any]:
    """The JSON answers curl printed, one a line."""
    return [json.loads(line) for line in output.splitlines() if line.startswith(("{", "["))]


def test_readme_tour_runs_as_printed(
    hub_env: dict[str, str], smtp_sink: SmtpSink, running_hub: subprocess.Popen[str]
) -> None:
    """The README's five-minute tour, then its API examples, pasted into a shell beside `make run`: only the ports
    are this test's."""
    [tour] = fenced("README.md", "A five-minute tour", "sh")
    api = fenced("README.md", "Working incidents: the web UI and the API", "sh")[0]
    assert ". .venv/bin/activate\n" in tour and "127.0.0.1:8000" in tour and '"127.0.0.1", 2525' in tour
    script = (
        (tour + "echo\necho '# the API examples'\n" + api)
        .replace(". .venv/bin/activate\n", f"PATH={Path(sys.executable).parent}:$PATH\n")  # this test's venv
        .replace("127.0.0.1:8000", f"127.0.0.1:{hub_env['SWITCHBOARD_WEB_PORT']}")
        .replace('"127.0.0.1", 2525', f'"127.0.0.1", {hub_env["SWITCHBOARD_SMTP_PORT"]}')
    )
    done = subprocess.run(["/bin/sh", "-ec", script], env=hub_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    tour_out, api_out = done.stdout.split("# the API examples\n")

    first, repeat, listed, resolved = answers(tour_out)
    assert (first["incident"], first["created"], repeat["occurrences"]) == ("INC-1", True, 2)
    by_ref = {i["ref"]: i for i in listed}
    assert (by_ref["INC-1"]["assignee"], by_ref["INC-1"]["category"]) == ("you@example.com", "outage")
    assert (by_ref["INC-2"]["assignee"], by_ref["INC-2"]["requester"]) == ("service-desk", "ann@example.com")
    assert resolved["incident_status"] == "resolved"

    found, acknowledged, requests, commented, timed, corrected, watched, suggestions, logged = answers(api_out)
    assert [i["ref"] for i in found] == ["INC-2"]
    assert requests == []  # the tour's two are incidents, not service requests
    assert (acknowledged["status"], acknowledged["assignee"]) == ("acknowledged", "you@example.com")
    assert "error" not in commented and timed["minutes_spent"] == 20 and watched["watchers"] == ["you@example.com"]
    assert corrected["minutes_spent"] == 90  # the 20 minutes corrected to 1h 30m
    assert suggestions == []
    assert (logged["ref"], logged["priority"], logged["source"], logged["labels"]) == (
        "INC-3", 2, "desk", {"channel": "phone", "organisation": "example.com"}  # the caller's, as a sender's
    )  # fmt: skip
    mail = [(r.rcpt_tos[0], r.message["Subject"]) for r in smtp_sink.handler.wait_for(6, timeout=30)]
    assert ("ann@example.com", "[INC-2] Printer on fire") in mail  # her acknowledgement, as the tour says
    assert ("bob@example.com", "[INC-3] Cannot log in to payroll") in mail  # logged by hand: he gets the reference
    assert ("ann@example.com", "[INC-2] Re: Printer on fire") in mail  # the agent's reply through the API
    # INC-1 assigned to you by your rule, then resolved; INC-2 assigned to you through the API
    assert sorted(subject[:10] for to, subject in mail if to == "you@example.com") == [
        "[INC-1] P1", "[INC-1] Re", "[INC-2] P3"
    ]  # fmt: skip


def test_ctrl_c_stops_every_part_cleanly(hub_env: dict[str, str], running_hub: subprocess.Popen[str]) -> None:
    running_hub.send_signal(signal.SIGINT)
    output, _ = running_hub.communicate(timeout=40)
    assert running_hub.returncode == 0, output
    assert "up: stopped" in output
    sock = Path(hub_env["SWITCHBOARD_HOME"]) / "redis" / f"redis-{running_hub.pid}.sock"
    wait_until(lambda: not sock.exists(), timeout=10, message="the embedded Redis to shut down")


def test_up_starts_its_embedded_redis_again_when_it_dies(
    hub_env: dict[str, str], smtp_sink: SmtpSink, running_hub: subprocess.Popen[str]
) -> None:
    base = f"http://127.0.0.1:{hub_env['SWITCHBOARD_WEB_PORT']}"
    url = f"{base}/healthz"
    (redis_pid,) = [pid for pid in _children(running_hub.pid) if b"redis-server" in _cmdline(pid)]
    os.kill(redis_pid, signal.SIGKILL)  # as the OOM killer would

    def health() -> int:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            return 0

    wait_until(lambda: health() == 200 and _pid_gone(redis_pid), timeout=30, message="Redis to be back")
    # and the notification pipeline works again: dispatcher and worker found the new Redis
    secret = switchboard(hub_env, "integration", "create", "--kind", "generic", "--name", "after").splitlines()[-1]
    switchboard(
        hub_env, "user", "create", "--email", "oncall@example.com", "--role", "agent", "--password", "pw-123456"
    )
    switchboard(hub_env, "rules", "add", "--name", "all", "--field", "source", "--op", "exists",
                "--assign", "oncall@example.com")  # fmt: skip
    status, _ = http("POST", f"{base}/api/v1/events/after", secret, {"title": "Disk full", "dedup_key": "d1"})
    assert status == 202
    (mail,) = smtp_sink.handler.wait_for(1, timeout=30)
    assert mail.rcpt_tos == ["oncall@example.com"]
    running_hub.send_signal(signal.SIGINT)
    output, _ = running_hub.communicate(timeout=40)
    assert "up: the embedded Redis stopped; starting it again" in output
    assert running_hub.returncode == 0 and "up: stopped" in output, output


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_agent_reply_reaches_the_requester_and_their_answer_lands_in_the_same_incident(
    hub_env: dict[str, str], smtp_sink: SmtpSink, running_hub: subprocess.Popen[str]
) -> None:
    base = f"http://127.0.0.1:{hub_env['SWITCHBOARD_WEB_PORT']}"
    token = switchboard(hub_env, "token", "create", "--name", "agent-bot", "--role", "agent").splitlines()[-1]
    smtp_port = int(hub_env["SWITCHBOARD_SMTP_PORT"])

    question = EmailMessage()
    question["From"], question["To"], question["Subject"] = "ann@example.com", "helpdesk@localhost", "VPN drops"
    question["Message-ID"] = "<vpn-1@example.com>"
    question.set_content("Every hour, since Monday.")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(question)
    smtp_sink.handler.wait_for(1, timeout=30)  # the acknowledgement

    status, _ = http("POST", f"{base}/api/v1/incidents/INC-1/comments", token,
                     {"text": "Which client version do you run?", "reply": True})  # fmt: skip
    assert status == 201
    reply = smtp_sink.handler.wait_for(2, timeout=30)[-1].message
    assert reply["To"] == "ann@example.com" and reply["Subject"] == "[INC-1] Re: VPN drops"
    assert "Which client version do you run?" in reply.get_body(("plain",)).get_content()

    answer = EmailMessage()
    answer["From"], answer["To"] = "ann@example.com", "helpdesk@localhost"
    answer["Subject"] = "Re: VPN drops"  # a client that drops the tag: the Message-ID alone must thread it
    answer["Message-ID"], answer["In-Reply-To"] = "<vpn-2@example.com>", reply["Message-ID"]
    answer["References"] = f"<vpn-1@example.com> {reply['Message-ID']}"
    answer.set_content("Version 5.1.")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(answer)

    status, incidents = http("GET", f"{base}/api/v1/incidents", token)
    assert status == 200 and [i["ref"] for i in incidents] == ["INC-1"]  # type: ignore[attr-defined]
    status, incident = http("GET", f"{base}/api/v1/incidents/INC-1", token)
    entries = [(e["kind"], e["summary"]) for e in incident["timeline"]]  # type: ignore[index]
    assert ("email", "Reply from ann@example.com: Re: VPN drops") in entries
    assert incident["status"] == "acknowledged"  # type: ignore[index]  # the agent's reply was the first response
