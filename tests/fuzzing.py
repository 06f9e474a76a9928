"""Hypothesis settings for the fuzz properties: the same examples on every run, so CI never fails at random.

`SWITCHBOARD_FUZZ_HARDER=<n>` runs each property with n times its examples, drawn at random: how to hunt for new
crashes locally (the shrunk example of each becomes an ordinary named test).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_HARDER = int(os.environ.get("SWITCHBOARD_FUZZ_HARDER", "0") or 0)


def fuzz(max_examples: int) -> settings:
    """Settings for a property tried `max_examples` times, derandomized unless a harder hunt was asked for."""
    return settings(
        max_examples=max_examples * max(_HARDER, 1),
        derandomize=not _HARDER,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
