"""Loaded only by `make test-at` (it puts this folder on PYTHONPATH): lets the tests run under libfaketime.

libfaketime must leave the monotonic clock alone (FAKETIME_DONT_FAKE_MONOTONIC=1): faked, every lock or queue wait
with a timeout waits for years. Left alone, its clock_nanosleep wrapper (0.9.10, Debian 12's) refuses every
`time.sleep` with EINVAL; select() sleeps the same relative time without that wrapper. Redis hangs at start-up now
and then with libfaketime merely loaded (its allocator and libfaketime's start-up call each other), so it is
started without it: its expiry times are relative and need no moved clock."""

import os
import select
import subprocess
import time

_WITHOUT_FAKETIME = frozenset({"redis-server"})


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


class _Popen(subprocess.Popen):  # type: ignore[type-arg]
    def __init__(self, args, *rest, **kwargs):  # type: ignore[no-untyped-def]
        program = args[0] if isinstance(args, (list, tuple)) and args else ""
        if os.path.basename(str(program)) in _WITHOUT_FAKETIME:
            env = dict(kwargs.get("env") or os.environ)
            env.pop("LD_PRELOAD", None)
            kwargs["env"] = env
        super().__init__(args, *rest, **kwargs)


time.sleep = _sleep
subprocess.Popen = _Popen  # type: ignore[misc]
