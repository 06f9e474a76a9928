"""Loaded only by `make test-at` (it puts this folder on PYTHONPATH): lets the tests run under libfaketime.

libfaketime must leave the monotonic clock alone (FAKETIME_DONT_FAKE_MONOTONIC=1): faked, every lock or queue wait
with a timeout waits for years. Left alone, its clock_nanosleep wrapper (0.9.10, Debian 12's) refuses every
`time.sleep` with EINVAL; select() sleeps the same relative time without that wrapper."""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


time.sleep = _sleep
