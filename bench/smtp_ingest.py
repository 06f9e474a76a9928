"""SMTP ingest to incident: Switchboard's SMTP listener against a bare aiosmtpd sink that fsyncs each message.

Switchboard: `python -m hub smtp` (the `switchboard smtp` command: the listener plus its one worker process,
SWITCHBOARD_SMTP_PROCESSES=1) with a fresh SWITCHBOARD_HOME (SQLite), where each message is parsed and made an
incident owing its sender an acknowledgement (past 30 to one address in 10 minutes the cap records "not sent"
on the timeline instead), committed and flushed to disk before the 250. Server CPU counts both processes.
The baseline, in the same run: aiosmtpd's Controller with the same SMTP parameters and a handler that writes
each message to a file of its own and fsyncs it before answering 250, on the default executor: the least a
server can do and still say "stored durably".
Load: --clients threads (4), each holding one SMTP session and sending messages back to back for --seconds (20)
per server, MAIL FROM / RCPT TO helpdesk@localhost / DATA each, ~2 KB plain-text emails with distinct Subject and
Message-ID from five senders. A message counts when DATA is answered 250; any other reply or an exception counts
as failed (the first few are printed, with the total).
Target: Switchboard's accepted messages per second / the sink's >= 0.5, with no message lost: after the run,
Switchboard's database must hold an incident or a threaded reply for every message it accepted (and the sink a
file for every one), and the sink must have failed none (else the ratio is not a clean figure).
Is the load generator the bottleneck? Its threads share one GIL, so they can use at most one core; the CPU time
the benchmark process uses during each run (time.process_time) is printed as cores, and per message, beside the
server's (from /proc) and the whole machine's. A load generator well under one core, on a machine with CPU to
spare, is waiting for the server, not limiting it.

    python bench/smtp_ingest.py [--seconds 20] [--clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from multiprocessing.synchronize import Event as StopEvent
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiosmtpd.controller import Controller
from sqlalchemy import text
from support import (
    HOST,
    ROOT,
    Cores,
    CpuMeter,
    join_with_progress,
    machine_busy_seconds,
    prepare_home,
    process_tree,
    run_main,
    stop,
    verdict,
)

from hub.config import Settings  # support put the project on the path
from hub.db import Database
from hub.net import free_port, wait_for_port

TARGET = 0.5
DESK = "helpdesk@localhost"
SENDERS = (
    ("Alice Martin", "alice.martin@example.com"),
    ("Bongani Dlamini", "b.dlamini@example.org"),
    ("Chen Wei", "chen.wei@example.net"),
    ("Dana Kowalski", "dana.k@example.com"),
    ("Emeka Obi", "emeka.obi@example.org"),
)
TOPICS = (
    ("VPN drops every few minutes", "the VPN client disconnects every five to ten minutes since this morning"),
    ("Cannot print to the 3rd floor printer", "jobs sent to the third floor printer sit in the queue and vanish"),
    ("Outlook keeps asking for my password", "Outlook prompts for my password again every time I open it"),
    ("Laptop very slow after update", "since last night's update my laptop takes minutes to open anything"),
    ("Access to the finance share", "I need read access to the finance share for the quarterly report"),
)
PARAGRAPH = (
    "I have restarted the machine twice and checked the cable and the Wi-Fi, and it still happens. Colleagues "
    "sitting next to me seem to have the same trouble, so it may not be my machine only. I have a customer call at "
    "three this afternoon and would be grateful if someone could look at it before then, or tell me what to try. "
    "I can be reached on my desk phone, extension 4471, or on Teams all day."
)


def compose(client: int, number: int) -> tuple[str, bytes]:
    """(envelope sender, message) of a client's message `number`: about 2 KB, its own Subject and Message-ID."""
    name, address = SENDERS[(client + number) % len(SENDERS)]
    subject, opening = TOPICS[number % len(TOPICS)]
    body = "\r\n\r\n".join(
        [f"Hello,\r\n\r\n{opening.capitalize()}.", PARAGRAPH, PARAGRAPH, PARAGRAPH, f"Thanks,\r\n{name}"]
    )
    message = (
        f"From: {name} <{address}>\r\nTo: IT Help Desk <{DESK}>\r\nSubject: {subject} (ticket {client}-{number})\r\n"
        f"Date: {formatdate()}\r\nMessage-ID: <bench.{os.getpid()}.{client}.{number}@example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n"
        f"\r\n{body}\r\n"
    )
    return address, message.encode()


# --- the baseline -------------------------------------------------------------------------------------------------


class FsyncSink:
    """aiosmtpd handler: write each message to a file of its own and fsync it before answering 250."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._numbers = itertools.count()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.store, envelope.original_content or b"")
        return "250 2.0.0 Stored"

    def store(self, raw: bytes) -> None:
        with (self._folder / f"{next(self._numbers)}.eml").open("xb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())


def serve_sink(folder: str, port: int, settings: Settings, halt: StopEvent) -> None:
    """The sink's process: the same Controller parameters as ingest.smtp.make_controller, until `halt` is set."""
    controller = Controller(
        FsyncSink(Path(folder)),
        hostname=HOST,
        port=port,
        data_size_limit=settings.max_message_bytes,
        enable_SMTPUTF8=True,
        ident="bench sink",
    )
    controller.start()
    halt.wait()
    controller.stop()


# --- the load -----------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one client saw."""

    sent: int = 0
    accepted: int = 0  # DATA answered 250
    failed: int = 0  # any other reply, or an exception
    errors: list[str] = field(default_factory=list)
    finished: float = 0.0  # monotonic time of its last answer

    def fail(self, error: str) -> None:
        self.failed += 1
        if len(self.errors) < 5:
            self.errors.append(error)


def connect(port: int) -> smtplib.SMTP:
    session = smtplib.SMTP(HOST, port, timeout=30)
    session.ehlo()
    return session


def send(session: smtplib.SMTP, sender: str, message: bytes) -> str | None:
    """MAIL, RCPT, DATA; None when DATA was answered 250, else what went wrong (the transaction is reset)."""
    for step, call in (
        ("MAIL", lambda: session.mail(sender)),
        ("RCPT", lambda: session.rcpt(DESK)),
        ("DATA", lambda: session.data(message)),
    ):
        code, reply = call()
        if code != 250:
            session.rset()
            return f"{step} answered {code} {reply.decode(errors='replace')}"
    return None


def client(port: int, number: int, seconds: float, start: threading.Barrier, tally: Tally) -> None:
    """One SMTP session sending messages back to back for `seconds` once every client is connected."""
    session: smtplib.SMTP | None = None
    try:
        try:
            session = connect(port)
        except (OSError, smtplib.SMTPException) as exc:
            tally.fail(f"connect: {exc!r}")
        start.wait(60)
        deadline = time.monotonic() + seconds
        for n in itertools.count():
            if time.monotonic() >= deadline:
                break
            sender, message = compose(number, n)
            tally.sent += 1
            try:
                if session is None:
                    session = connect(port)
                error = send(session, sender, message)
            except (OSError, smtplib.SMTPException) as exc:
                tally.fail(repr(exc))
                if session is not None:
                    session.close()
                session = None  # a new session for the next message
                continue
            if error is None:
                tally.accepted += 1
            else:
                tally.fail(error)
        tally.finished = time.monotonic()
    finally:
        if session is not None:
            try:
                session.quit()
            except (OSError, smtplib.SMTPException):
                session.close()


@dataclass(frozen=True)
class Run:
    sent: int
    accepted: int
    failed: int
    seconds: float
    cpu: Cores
    errors: tuple[str, ...]

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds

    def report(self, name: str) -> None:
        # The clients share one GIL: one core is all they can use, so this is the most they could send.
        per_message = self.cpu.client * self.seconds / max(self.sent, 1)
        ceiling = f"{1 / per_message:.0f}" if per_message else "-"
        print(f"{name:12} {self.seconds:5.1f} s: {self.accepted} accepted ({self.rate:.1f} msg/s), "
              f"{self.failed} failed of {self.sent} sent; {self.cpu.describe()} (load generator "
              f"{per_message * 1e6:.0f} us/message: one core would send {ceiling}/s)", flush=True)  # fmt: skip
        for error in self.errors:
            print(f"  {name} failed: {error}", flush=True)


def load(name: str, port: int, server: int, args: argparse.Namespace) -> Run:
    """--clients sessions at once for --seconds, printing progress every 5 s."""
    tallies = [Tally() for _ in range(args.clients)]
    start = threading.Barrier(args.clients + 1)
    threads = [
        threading.Thread(target=client, args=(port, c, args.seconds, start, tallies[c]), daemon=True)
        for c in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    start.wait(60)  # every client connected: the clock starts
    pids = process_tree(server)
    began = time.monotonic()
    meter = CpuMeter(pids)

    def progress(seconds: float) -> str:
        accepted, failed = sum(t.accepted for t in tallies), sum(t.failed for t in tallies)
        return f"  {name}: {seconds:4.0f} s, {accepted} accepted ({accepted / seconds:.0f}/s), {failed} failed"

    join_with_progress(threads, began, 5, progress)
    # Each client stops after the message it was sending at its deadline: the run lasts until the last answer.
    elapsed = max([t.finished for t in tallies] + [began + args.seconds]) - began
    return Run(
        sent=sum(t.sent for t in tallies),
        accepted=sum(t.accepted for t in tallies),
        failed=sum(t.failed for t in tallies),
        seconds=elapsed,
        cpu=meter.cores(elapsed),
        errors=tuple(e for t in tallies for e in t.errors),
    )


# --- the servers --------------------------------------------------------------------------------------------------


def start_switchboard(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`switchboard smtp` on `port`, as `switchboard up` starts it."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub", "smtp"],
            env=dict(env, SWITCHBOARD_SMTP_PORT=str(port)), cwd=ROOT, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        wait_for_port(HOST, port, timeout=30)
    except TimeoutError:
        stop(process)
        print(log.read_text()[-2000:], file=sys.stderr)
        raise
    return process


def stored(url: str) -> tuple[int, int, int, int]:
    """(incidents, replies threaded onto one, email events, unprocessable email events) in Switchboard's database."""
    db = Database.connect(url)
    try:
        with db.reader() as conn:
            row = conn.execute(text("""
                SELECT (SELECT count(*) FROM incidents WHERE source = 'email'),
                       (SELECT count(*) FROM timeline_entries WHERE kind = 'email'),
                       (SELECT count(*) FROM events WHERE source = 'email'),
                       (SELECT count(*) FROM events WHERE source = 'email' AND status = 'unprocessable')
            """)).one()  # fmt: skip
    finally:
        db.dispose()
    return row[0], row[1], row[2], row[3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="how long the clients send to each server")
    parser.add_argument("--clients", type=int, default=4, help="concurrent SMTP sessions")
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or args.clients < 1:
        parser.error("need 0 < --seconds <= 600 and --clients >= 1")

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: none of the benchmark's imports or threads
    halt = spawn.Event()
    server: subprocess.Popen[bytes] | None = None
    sink: multiprocessing.process.BaseProcess | None = None
    try:
        env, url, _ = prepare_home(tmp, {})
        settings = Settings.from_env(env)
        before = machine_busy_seconds()
        time.sleep(1)
        if (busy := machine_busy_seconds() - before) > 0.25:
            print(f"warning: before the run the machine was already busy ({busy:.2f} of {os.cpu_count()} cores): "
                  "other processes share the CPUs, so these figures are noisy", flush=True)  # fmt: skip
        print(f"SMTP ingest: {args.clients} sessions for {args.seconds:g} s to each server; "
              f"Switchboard's SQLite and the sink's files under {tmp}", flush=True)  # fmt: skip
        port = free_port()
        server = start_switchboard(env, port, tmp / "switchboard.log")
        switchboard = load("switchboard", port, server.pid, args)
        stop(server)
        switchboard.report("switchboard")
        incidents, replies, events, unprocessable = stored(url)

        print("baseline: the same load against an aiosmtpd sink that writes and fsyncs each message", flush=True)
        folder = tmp / "sink"
        folder.mkdir()
        port = free_port()
        sink = spawn.Process(target=serve_sink, args=(str(folder), port, settings, halt), name="smtp-sink")
        sink.start()
        wait_for_port(HOST, port, timeout=30)
        assert sink.pid is not None
        bare = load("sink", port, sink.pid, args)
        halt.set()
        sink.join(15)
        bare.report("sink")
        files = sum(1 for _ in folder.iterdir())
    finally:
        if server is not None:
            stop(server)
        if sink is not None and sink.is_alive():
            halt.set()
            sink.join(15)
            if sink.is_alive():
                sink.kill()
                sink.join(5)
        shutil.rmtree(tmp, ignore_errors=True)

    ratio = switchboard.rate / bare.rate if bare.rate else 0.0
    kept = incidents + replies
    rates = f"{switchboard.rate:.1f} / {bare.rate:.1f} msg/s"
    checks = [
        (f"Switchboard: {incidents} incidents + {replies} threaded replies = {kept} (must be the "
         f"{switchboard.accepted} messages it accepted)", kept == switchboard.accepted),
        (f"sink: {files} files (must be the {bare.accepted} messages it accepted)", files == bare.accepted),
        (f"sink failures: {bare.failed} (must be 0 for a clean baseline)", bare.failed == 0),
        (f"switchboard / sink = {rates} = {ratio:.2f} (target >= {TARGET})", ratio >= TARGET),
    ]  # fmt: skip
    print()
    print(f"Switchboard stored {events} email events, {unprocessable} of them unprocessable")
    return verdict(checks)


if __name__ == "__main__":
    run_main(main)
