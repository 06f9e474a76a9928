"""IMAP latency: from APPEND on Dovecot to the incident existing in Switchboard's database, with IDLE and polling.

Switchboard: `python -m hub imap` (the `switchboard imap` command) with a fresh SWITCHBOARD_HOME (SQLite) and one
mailbox on a throwaway Dovecot (Debian's dovecot-imapd, started as the tests start it, plain IMAP on loopback).
Each message is fetched, parsed, made an incident owing an acknowledgement, committed and fsynced, then marked
\\Seen and the checkpoint saved. Run twice: with IDLE (the default), and with --no-idle --poll-interval P (1 s).
The baseline, in the same run, against the same Dovecot: a bare imapclient watcher doing no work, which IDLEs on
another account's INBOX and notes when `* n EXISTS` arrives: the least any IDLE-based importer can do.
Load: --messages N (30) ~1 KB plain-text emails, one at a time: APPEND, wait until it has been seen (incident in
the database, polled every 2 ms through a read-only SQLite connection; EXISTS for the baseline), pause 0.1-1.1 s
(random, seeded, so arrivals do not fall into step with the poll interval), next. Latency: from just before APPEND
is sent to that moment; p50 and p99 are printed for each. Dovecot itself batches change notifications for about
half a second before it sends EXISTS, which the baseline shows: that is the floor for every IDLE client.
Target: p50 < 1 s with IDLE (exit status 1 if missed, or if any message never arrives within 30 s).

    python bench/imap_latency.py [--messages 30] [--poll-interval 1]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from imapclient import IMAPClient
from support import ROOT, prepare_home, run_main, stop

from hub import mailboxes  # support put the project on the path
from hub.db import Database
from hub.sealed import Keyring
from tests.servers import Dovecot

TARGET_P50 = 1.0
#: Pause before each APPEND, drawn at random (seeded) so arrivals do not fall into step with the poll interval.
GAP = (0.1, 1.1)
QUERY = "SELECT 1 FROM events WHERE message_id = ? AND incident_id IS NOT NULL"
DEADLINE = 30.0


def compose(number: int, tag: str) -> tuple[str, bytes]:
    message_id = f"<bench.{os.getpid()}.{tag}.{number}@example.com>"
    body = "Hello,\r\n\r\nThe VPN client disconnects every few minutes since this morning. " * 8
    raw = (
        f"From: Ann Example <ann@example.com>\r\nTo: helpdesk@example.com\r\nSubject: VPN drops ({tag} {number})\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    return message_id, raw.encode()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(name: str, latencies: list[float]) -> str:
    ms = [v * 1000 for v in latencies]
    return (
        f"{name:<34} p50 {percentile(ms, 0.5):7.1f} ms   p99 {percentile(ms, 0.99):7.1f} ms   "
        f"mean {statistics.fmean(ms):7.1f} ms   ({len(ms)} messages)"
    )


_random = random.Random(3)


def pause() -> float:
    return _random.uniform(*GAP)


def wait_for(predicate: Callable[[], bool], deadline: float) -> float | None:
    """Poll every 2 ms; the monotonic time it became true, or None past the deadline."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return time.monotonic()
        time.sleep(0.002)
    return None


class BareWatcher:
    """The baseline: IDLE on a folder and note the time of every EXISTS; nothing is fetched or stored."""

    def __init__(self, server: Dovecot, user: str, password: str) -> None:
        self._client = IMAPClient("127.0.0.1", server.port, ssl=False, timeout=30)
        self._client.login(user, password)
        self._client.select_folder("INBOX")
        self.seen: list[float] = []
        self._halt = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        while not self._halt.is_set():
            self._client.idle()
            self._ready.set()
            try:
                while not self._halt.is_set():
                    responses = self._client.idle_check(timeout=0.5)
                    if any(isinstance(r, tuple) and len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                        self.seen.append(time.monotonic())
                        break
            finally:
                self._client.idle_done()

    def stop(self) -> None:
        self._halt.set()
        self._thread.join(5)
        self._client.logout()


def measure_baseline(server: Dovecot, messages: int) -> list[float] | None:
    server.add_user("baseline", "bench-password")
    appender = server.client("baseline", "bench-password")
    watcher = BareWatcher(server, "baseline", "bench-password")
    watcher.start()
    latencies: list[float] = []
    try:
        for number in range(messages):
            _message_id, raw = compose(number, "baseline")
            before = len(watcher.seen)
            time.sleep(pause())
            started = time.monotonic()
            appender.append("INBOX", raw)
            arrived = wait_for(lambda b=before: len(watcher.seen) > b, DEADLINE)
            if arrived is None:
                print(f"baseline: message {number} was never announced", file=sys.stderr)
                return None
            latencies.append(watcher.seen[before] - started)
    finally:
        watcher.stop()
        appender.logout()
    return latencies


def measure_switchboard(server: Dovecot, tmp: Path, messages: int, name: str, extra: list[str]) -> list[float] | None:
    """Start `switchboard imap` on a fresh home and account, then time each message from APPEND to incident."""
    home = tmp / name
    home.mkdir()
    env, url, _secrets = prepare_home(home, {})
    user = f"desk-{name}"
    server.add_user(user, "bench-password")
    db = Database.connect(url)
    with db.transaction() as session:
        mailboxes.add_mailbox(session, name="desk", host="127.0.0.1", port=server.port, tls="none",
                              username=user, secret="literal:bench-password",
                              keys=Keyring.derive(env["SECRET_KEY"]))  # fmt: skip
    db.dispose()
    log = (home / "imap.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "imap", *extra], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    path = url.removeprefix("sqlite:///")
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    appender = server.client(user, "bench-password")
    latencies: list[float] = []
    try:
        # Wait for its first look at the (empty) mailbox, so start-up is not counted.
        ready = wait_for(lambda: bool(reader.execute("SELECT last_checked_at FROM mailboxes").fetchone()[0]), 60)
        if ready is None:
            print(f"{name}: the watcher never looked at the mailbox; see {home / 'imap.log'}", file=sys.stderr)
            return None
        for number in range(messages):
            message_id, raw = compose(number, name)
            time.sleep(pause())
            started = time.monotonic()
            appender.append("INBOX", raw)
            arrived = wait_for(lambda m=message_id: reader.execute(QUERY, (m,)).fetchone() is not None, DEADLINE)
            if arrived is None:
                print(f"{name}: message {number} never became an incident; see {home / 'imap.log'}", file=sys.stderr)
                return None
            latencies.append(arrived - started)
    finally:
        appender.logout()
        reader.close()
        stop(process)  # type: ignore[arg-type]
        log.close()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=30, help="messages per run (default 30)")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="seconds, for the polling run (default 1)")
    args = parser.parse_args()
    if Dovecot.binary() is None:
        print("Dovecot is not installed: apt-get install dovecot-imapd", file=sys.stderr)
        return 1
    server = Dovecot().start()
    try:
        with tempfile.TemporaryDirectory(prefix="switchboard-bench-imap-") as tmp:
            spacing = f"{GAP[0]}-{GAP[1]} s apart"
            print(f"IMAP latency, APPEND on Dovecot to seen: {args.messages} messages one at a time, {spacing}")
            baseline = measure_baseline(server, args.messages)
            idle = measure_switchboard(server, Path(tmp), args.messages, "idle", [])
            polling = measure_switchboard(server, Path(tmp), args.messages, "polling",
                                          ["--no-idle", "--poll-interval", str(args.poll_interval)])  # fmt: skip
    finally:
        server.stop()
    if baseline is None or idle is None or polling is None:
        return 1
    print(describe("baseline: bare IDLE watcher, EXISTS", baseline))
    print(describe("Switchboard, IDLE: incident", idle))
    print(describe(f"Switchboard, polling every {args.poll_interval:g} s", polling))
    p50 = percentile(idle, 0.5)
    verdict = "met" if p50 < TARGET_P50 else "MISSED"
    extra = p50 - percentile(baseline, 0.5)
    figures = f"{p50 * 1000:.1f} ms, {extra * 1000:.1f} ms over the baseline"
    print(f"target p50 < {TARGET_P50:g} s with IDLE: {verdict} ({figures})")
    return 0 if p50 < TARGET_P50 else 1


if __name__ == "__main__":
    run_main(main)
