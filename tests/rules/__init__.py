"""Rules tests; inputs more than one test module builds."""

from __future__ import annotations


def doubling_aliases(levels: int) -> str:
    """A condition of `levels` aliases, each `all` of the one before twice: 2**levels conditions in a few bytes."""
    items = ["&a0 {field: severity, op: equals, value: critical}"]
    items += [f"&a{n} {{all: [*a{n - 1}, *a{n - 1}]}}" for n in range(1, levels + 1)]
    return "{any: [" + ", ".join(items) + "]}"
