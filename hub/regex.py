"""Regular expressions from admins (rules, silences) run on RE2: linear time, so no pattern can hang the hub.

RE2 has no backreferences or lookaround; a pattern that needs them is refused when it is saved, with the reason.
"""

from __future__ import annotations

from typing import Any

import re2

from hub.errors import BadInput


class InvalidPattern(BadInput):
    """A pattern RE2 cannot compile; the message names it and says why."""


def compile_pattern(pattern: str, *, ignore_case: bool = False) -> Any:
    """A compiled RE2 pattern (`search`, `fullmatch`, `match` as in `re`)."""
    try:
        return re2.compile(f"(?i){pattern}" if ignore_case else pattern)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise InvalidPattern(f"invalid regular expression {pattern!r}: {reason}") from None
