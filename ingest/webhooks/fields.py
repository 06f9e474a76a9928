"""Reading fields out of senders' JSON, with errors that name the field by its path."""

from __future__ import annotations

from typing import Any

from ingest.errors import InvalidPayload


def optional_str(parent: dict[str, Any], key: str, path: str = "") -> str | None:
    """`parent[key]` when it is a string, None when absent or null; `path` is the parent's ("" at the top)."""
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPayload(f"{path}.{key} must be a string" if path else f"{key} must be a string")
    return value
