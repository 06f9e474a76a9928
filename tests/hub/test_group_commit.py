"""Group commit and the write gate: shared transactions that still answer each caller only after its commit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, select

from hub.db import Database
from hub.errors import StorageUnavailable
from hub.group_commit import GroupCommitter
from hub.models import Revision


def add_revision(name: str):  # type: ignore[no-untyped-def]
    def work(conn: Connection) -> str:
        conn.execute(insert(Revision.__table__).values(name=name, value=1))
        return name

    return work


def revisions(db: Database) -> set[str]:
    with db.read() as s:
        return set(s.scalars(select(Revision.name)))


def test_units_from_many_threads_are_all_committed_and_answered(db: Database) -> None:
    committer = GroupCommitter(db)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda i: committer.run(add_revision(f"r{i}")), range(200)))
    assert answers == [f"r{i}" for i in range(200)]
    assert revisions(db) == set(answers)


def test_a_failing_unit_reports_its_error_and_the_others_still_commit(db: Database) -> None:
    committer = GroupCommitter(db)
    release = threading.Event()

    def slow(conn: Connection) -> None:  # holds the writer so the next units queue into one batch
        release.wait(5)

    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(committer.run, slow)
        good = pool.submit(committer.run, add_revision("good"))
        bad = pool.submit(committer.run, add_revision("good"))  # duplicate primary key: this one fails
        other = pool.submit(committer.run, add_revision("other"))
        release.set()
        first.result(10)
        assert good.result(10) == "good" and other.result(10) == "other"
        with pytest.raises(Exception, match="UNIQUE"):
            bad.result(10)
    assert revisions(db) == {"good", "other"}


def test_answer_comes_only_after_the_commit(db: Database) -> None:
    committer = GroupCommitter(db)

    def work(conn: Connection) -> int:
        conn.execute(insert(Revision.__table__).values(name="seen", value=1))
        return 1

    committer.run(work)
    # A fresh connection sees it at once: the caller was answered after the commit, not before.
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Revision)) == 1


HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def test_writer_held_by_another_process_makes_writes_fail_as_temporarily_unavailable(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'x.db'}", timeout=0.2)
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "x.db.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "locked"
        with pytest.raises(StorageUnavailable, match="no write slot"), db.write():
            pass
    finally:
        other.communicate("", timeout=10)  # closing its stdin lets it go
    with db.write() as conn:  # and the slot is back once the other process let go
        conn.exec_driver_sql("CREATE TABLE t (x)")
    db.dispose()


def test_a_writer_waiting_for_another_process_gets_the_slot_as_soon_as_it_is_released(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'x.db'}", timeout=10)
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "x.db.lock")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert other.stdout is not None and other.stdout.readline().strip() == "locked"
    threading.Timer(0.3, lambda: other.communicate("", timeout=10)).start()
    started = time.monotonic()
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    assert 0.25 < time.monotonic() - started < 2.0
    db.dispose()


def test_the_log_is_flushed_after_each_committed_write_and_not_after_a_failed_one(db: Database) -> None:
    flushed: list[int] = []
    real_sync = db._wal.sync  # type: ignore[union-attr]
    db._wal.sync = lambda: (flushed.append(1), real_sync())  # type: ignore[union-attr,method-assign,assignment,func-returns-value]
    with db.write() as conn:
        conn.execute(insert(Revision.__table__).values(name="a", value=1))
    assert flushed == [1]
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute(insert(Revision.__table__).values(name="b", value=1))
        raise RuntimeError("rolled back")
    assert flushed == [1] and revisions(db) == {"a"}
