"""Cutting long text down for a mail or a page: one rule, so every cut reads the same."""

from __future__ import annotations


def excerpt(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its first `limit` (trailing space dropped) and " …"."""
    return text if len(text) <= limit else text[:limit].rstrip() + " …"
