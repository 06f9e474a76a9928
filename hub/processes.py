"""Child processes that never outlive their parent and never see the terminal's Ctrl-C directly."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
from collections.abc import Sequence

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM us if the parent dies (even by kill -9).

    Linux ties this to the thread that started the child, so spawn from a thread that lives as long as you do.
    Elsewhere than Linux it does nothing, and children outlive a killed parent as under any plain supervisor.
    """
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(argv: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """Start a child in its own session (so the parent decides the order of shutdown) tied to our lifetime."""
    return subprocess.Popen(list(argv), start_new_session=True, preexec_fn=_die_with_parent, **kwargs)  # type: ignore[call-overload,no-any-return]
