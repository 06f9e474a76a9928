"""Regular expressions from admins (rules, silences) run on RE2: linear time, so no pattern can hang the hub.

RE2 has no backreferences or lookaround; a pattern that needs them is refused when it is saved, with the reason.
"""

from __future__ import annotations

from typing import Any

import re2

from hub.errors import BadInput


class InvalidPattern(BadInput):
    """A pattern RE2 cannot compile; the message names it, says why, and what to write instead."""


#: What to write instead, by the start of RE2's reason; anything else gets ESCAPE.
_INSTEAD = {
    "invalid perl operator": "RE2 has no lookahead or lookbehind: match the text itself, or add a second condition",
    "invalid character class range": "write a range from low to high, as a-z or 0-9",
    "invalid escape sequence": "RE2 has no backreferences (\\1); to match a character itself, escape it: \\. \\( \\[",
}
ESCAPE = "to match a special character itself, escape it with a backslash: \\( \\) \\[ \\. \\* \\? \\+"


def compile_pattern(pattern: str, *, ignore_case: bool = False) -> Any:
    """A compiled RE2 pattern (`search`, `fullmatch`, `match` as in `re`). Case is an option, not a `(?i)` prefix,
    so a refusal quotes only what the admin wrote; RE2's own logging is off (the refusal says it all)."""
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        instead = next((words for start, words in _INSTEAD.items() if reason.startswith(start)), ESCAPE)
        raise InvalidPattern(f"invalid regular expression {pattern!r}: {reason}; {instead}") from None
