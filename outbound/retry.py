"""When a notification that failed for now is tried again, and when it is given up (pure: no clock, no I/O).

The delay doubles from `first` up to `cap`, with "equal jitter" (a random point in the upper half of the step), so
many notifications failing together at one receiver do not all come back at the same instant. A receiver's own
`Retry-After` wins over the schedule, within `retry_after_cap`. Each outbox row keeps its own attempts, next
attempt time and give-up time, so one slow receiver never holds up another's notifications.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from hub.config import Settings

#: A receiver may ask for a pause (Retry-After), but not for one longer than this.
RETRY_AFTER_CAP = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds: the first retry comes within `first`, doubling up to `cap`; given up `give_up` after a first failure."""

    first: float = 10.0
    cap: float = 60.0
    give_up: float = 24 * 3600.0
    retry_after_cap: float = RETRY_AFTER_CAP

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(first=settings.retry_first, cap=settings.retry_cap, give_up=settings.retry_give_up)

    def delay(
        self, attempts: int, *, retry_after: float | None = None, rng: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait after the `attempts`-th failed attempt (1 for the first)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        step = min(self.cap, self.first * 2 ** max(attempts - 1, 0))
        return step / 2 + rng() * step / 2


@dataclass(frozen=True)
class Verdict:
    """What becomes of a row after a failed attempt: tried again at `next_attempt_at`, or dead."""

    status: Literal["pending", "dead"]
    next_attempt_at: datetime | None
    give_up_at: datetime


def after_failure(
    policy: RetryPolicy,
    *,
    attempts: int,
    now: datetime,
    give_up_at: datetime | None,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> Verdict:
    """Schedule the next attempt, or give up when it would come after the row's give-up time."""
    deadline = give_up_at or now + timedelta(seconds=policy.give_up)
    at = now + timedelta(seconds=policy.delay(attempts, retry_after=retry_after, rng=rng))
    if at > deadline:
        return Verdict("dead", None, deadline)
    return Verdict("pending", at, deadline)
