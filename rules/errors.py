"""Errors in rule definitions: always the author's to fix, so each says what is wrong and where."""

from __future__ import annotations

from hub.errors import BadInput

PathPart = str | int


def format_path(path: tuple[PathPart, ...]) -> str:
    """`("when", "any", 1)` -> `when.any[1]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class RuleError(BadInput):
    """A rule cannot be compiled: unknown operator or field, a malformed pattern or template, a bad value.

    `path` locates the problem inside the rule (e.g. `("when", "any", 1)`), so a file import can name the line.
    """

    def __init__(self, message: str, path: tuple[PathPart, ...] = ()) -> None:
        super().__init__(f"{format_path(path)}: {message}" if path else message)
        self.reason = message
        self.path = path
