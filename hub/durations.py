"""Durations people type: `90m`, `2h`, `3d`, `1w` (silences, reopen windows, auto-resolve)."""

from __future__ import annotations

import re
from datetime import timedelta

from hub.errors import BadInput

_DURATION = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_duration(text: str) -> timedelta:
    """`90m`, `2h`, `3d`, `1w`."""
    match = _DURATION.match(text.strip())
    if not match:
        raise BadInput(f"{text!r} is not a duration; write a number and a unit: 90m, 2h, 3d or 1w")
    return int(match.group(1)) * _UNITS[match.group(2)]
