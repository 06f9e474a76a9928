"""What a person may type as a name or a one-line field (a category, a service, a group, a title): one line, with
no control characters. A NUL or an escape sequence there is never meant: it breaks mail headers and terminals,
and PostgreSQL refuses NUL outright."""

from __future__ import annotations

import re

from hub.errors import BadInput

#: The width of the name columns (categories, services, groups).
NAME_WIDTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_one_line(text: str) -> bool:
    """Whether `text` holds no line break, tab or other control character."""
    return _CONTROL.search(text) is None


def check_name(name: str, what: str, example: str = "") -> str:
    """`name` stripped, or BadInput saying what a `what`'s name may be (a service, a group, a saved reply...)."""
    name = name.strip()
    if not 0 < len(name) <= NAME_WIDTH or not is_one_line(name):
        hint = f", e.g. {example}" if example else ""
        raise BadInput(f"a {what} needs a name of 1 to {NAME_WIDTH} characters on one line{hint}")
    return name
