"""Group commit: write units from many threads share one transaction, one lock hand-off and one fsync.

On SQLite every commit is followed by an fsync of the log (hub/sqlite_writes.py, so nothing acknowledged can be
lost), and writers take turns on one lock. Committing each inbound event on its own makes that turn-taking the
ceiling. Here the first caller to arrive becomes the leader and commits, in one transaction, its own unit and every
unit queued while the previous leader was busy; the others wait for their unit's commit. A lone caller simply runs
its own unit on its own thread, with no hand-off. Each caller gets its answer only after the commit that holds its
work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection

from hub.db import Database
from hub.errors import StorageUnavailable

T = TypeVar("T")
Work = Callable[[Connection], Any]


@dataclass(eq=False)
class _Unit:
    work: Work
    done: bool = False
    result: Any = None
    error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.done = result, error, True


@dataclass(eq=False)
class GroupCommitter:
    """Runs `work(connection)` callables in shared write transactions, led by whichever caller comes first."""

    db: Database
    max_batch: int = 64
    timeout: float = 30.0
    _pending: list[_Unit] = field(default_factory=list, init=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, init=False)
    _leading: bool = field(default=False, init=False)

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a write transaction and return its result once that transaction has committed."""
        unit = _Unit(work)
        deadline = time.monotonic() + self.timeout
        with self._changed:
            self._pending.append(unit)
            while not unit.done and self._leading:
                remaining = deadline - time.monotonic()
                if remaining <= 0 and unit in self._pending:
                    self._pending.remove(unit)  # never started: withdraw it, so what we refuse is never stored
                    raise StorageUnavailable(f"no commit within {self.timeout}s")
                # Once a leader has taken the unit, its commit ends by itself (the database has its own timeout).
                self._changed.wait(timeout=remaining if remaining > 0 else None)
            if not unit.done:
                self._leading = True
        if not unit.done:
            self._lead()
        if unit.error is not None:
            raise unit.error
        return unit.result  # type: ignore[no-any-return]

    def _lead(self) -> None:
        try:
            with self._changed:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            self._commit(batch)
        finally:
            with self._changed:
                self._leading = False
                self._changed.notify_all()

    def _commit(self, batch: list[_Unit]) -> None:
        try:
            with self.db.write() as conn:
                results = [unit.work(conn) for unit in batch]
        except StorageUnavailable as exc:
            for unit in batch:
                unit.finish(error=exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0].finish(error=exc)
                return
            # One unit failed and took the shared transaction with it: give every unit a transaction of its own,
            # so the others still commit and only the failing one reports its error.
            for unit in batch:
                self._commit([unit])
            return
        for unit, result in zip(batch, results, strict=True):
            unit.finish(result)
