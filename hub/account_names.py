"""The names API tokens and integrations go by (they appear in URLs and commands) and the roles accounts hold: the
checks both kinds of account make, in one place."""

from __future__ import annotations

import re

from hub.domain import ROLES
from hub.errors import BadInput

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
#: How a desk token is named wherever it acted: `token:<name>`, which no address nor group name can be taken for.
DESK_TOKEN = "token:"


def check_role(role: str) -> None:
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")


def check_name(name: str, what: str) -> None:
    if not _NAME.match(name):
        raise BadInput(
            f"{what} name {name!r} must be 1-100 lowercase letters, digits, '-' or '_', starting with a letter"
            " or digit (it appears in URLs)"
        )
