"""The SMTP listener storing mail on worker processes (`switchboard smtp`'s way): same replies, same guarantees."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller

from hub.config import Settings
from hub.db import Database
from hub.net import free_port
from ingest.pipeline import make_intake
from ingest.smtp import make_controller
from ingest.smtp_accept import AcceptPool
from tests.conftest import make_settings, migrated_database
from tests.ingest.test_smtp import incidents, mail, send
from tests.servers import wait_until


@dataclass
class PooledDesk:
    port: int
    db: Database
    pool: AcceptPool
    path: str

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.pool._pool._processes.values()]  # type: ignore[union-attr]

    def messages_in_hand(self) -> int:
        """Messages handed to the workers and not yet answered."""
        return len(self.pool._pool._pending_work_items)  # type: ignore[attr-defined]


@pytest.fixture
def desk(tmp_path, migrated_sqlite) -> Iterator[PooledDesk]:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(tmp_path / "var", db_timeout=5.0)
    db = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    pool = AcceptPool(settings, 1)
    pool.warm_up()
    controller: Controller = make_controller(settings, make_intake(settings, db), port=free_port(), accept=pool)
    controller.start()
    yield PooledDesk(controller.port, db, pool, settings.database_url.removeprefix("sqlite:///"))
    controller.stop()
    pool.close()
    db.dispose()


def test_a_worker_process_stores_the_message_before_the_250(desk: PooledDesk) -> None:
    code, reply = send(desk.port, mail())
    assert code == 250 and b"INC-1" in reply
    (incident,) = incidents(desk.db)
    assert (incident.title, incident.requester) == ("Printer on fire", "ann@example.com")
    assert desk.worker_pids() and os.getpid() not in desk.worker_pids()


def test_a_worker_that_dies_mid_message_gets_451_and_the_next_message_a_new_worker(desk: PooledDesk) -> None:
    blocker = sqlite3.connect(desk.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the worker will wait for the write lock: kill it while it does
    replies: list[tuple[int, bytes]] = []
    sender = threading.Thread(target=lambda: replies.append(send(desk.port, mail(subject="First"))))
    sender.start()
    try:
        # Killed once the message is in the worker's hands: a kill before it got there (a sender slower than a
        # fixed pause on a busy machine) would be answered 451 too, and the test would prove nothing.
        wait_until(lambda: desk.messages_in_hand(), timeout=15, message="the message to reach the worker")
        [pid] = desk.worker_pids()
        os.kill(pid, signal.SIGKILL)
        sender.join(15)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    [(code, reply)] = replies
    assert code == 451 and b"try again later" in reply
    assert incidents(desk.db) == []
    # The replacement is starting already (7-12 s on a busy 2-core machine, past the client's 10 s): wait for it, as
    # the next test shows it needs nothing else; waiting fails if the broken pool was kept.
    desk.pool.warm_up()
    code, reply = send(desk.port, mail(subject="Second"))
    assert code == 250 and b"INC-1" in reply
    assert [i.title for i in incidents(desk.db)] == ["Second"]


def test_a_dead_workers_replacement_is_up_before_the_next_message_comes(desk: PooledDesk) -> None:
    """A replacement that started only when the next message came would keep it waiting 7-12 s on a busy 2-core
    machine (past a client's 10 s): it starts at once, in the background, and nothing else warms it here."""
    [dead] = desk.worker_pids()
    os.kill(dead, signal.SIGKILL)
    code, _ = send(desk.port, mail(subject="First"))  # the broken pool is found out by the next message: 451
    assert code == 451
    wait_until(lambda: desk.pool.warm, timeout=60, message="the replacement worker to be up")
    [replacement] = desk.worker_pids()
    assert replacement != dead
    code, reply = send(desk.port, mail(subject="Second"))
    assert code == 250 and b"INC-1" in reply
    assert desk.worker_pids() == [replacement]


def test_storage_down_in_the_worker_answers_451(tmp_path, migrated_sqlite) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "var", db_timeout=0.2)
    db = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    pool = AcceptPool(settings, 1)
    pool.warm_up()  # as `switchboard smtp` does: a cold worker can take longer to start than the client waits
    controller = make_controller(settings, make_intake(settings, db), port=free_port(), accept=pool)
    controller.start()
    blocker = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        code, reply = send(controller.port, mail())
        assert code == 451 and b"try again later" in reply
        blocker.execute("ROLLBACK")
        code, _ = send(controller.port, mail())
        assert code == 250 and len(incidents(db)) == 1
    finally:
        blocker.close()
        controller.stop()
        pool.close()
        db.dispose()
