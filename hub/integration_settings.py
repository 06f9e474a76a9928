"""An integration's settings as people type them (`600`, `15m`, `3/5m`; blank or `none` for none) and as they are
shown again: one reading for `switchboard integration set` and the integration page's form, so both take the same
words and say the same things about them. Pure: `hub.accounts.configure_integration` checks and stores the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

from hub.durations import parse_duration, typed_duration
from hub.errors import BadField, BadInput, refuse_all
from hub.numbers import whole_number

#: Each setting `configure_integration` takes by this keyword, and what the page and the flash call it.
LABELS = {
    "rate_limit": "rate limit",
    "reopen_window": "reopen window",
    "auto_resolve_after": "auto-resolve",
    "threshold": "threshold",
    "flapping": "flapping",
}

#: What each setting does, with examples as typed: the form's hints and the CLI's option help (which adds `none`).
HELP = {
    "rate_limit": "Most requests per minute; more are refused with 429 and Retry-After: 600",
    "reopen_window": "A trigger this soon after a resolve reopens the incident: 10m, 1h",
    "auto_resolve_after": "Resolve open incidents after this long without alerts: 30m, 4h",
    "threshold": "Open an incident only after N events with one key within a time: 3/5m",
    "flapping": "N state changes within a time make an alert flapping (notices held): 4/10m",
}

Value = int | tuple[int, int] | None


class Configured(Protocol):
    """What an integration row holds of its settings (hub.models.Integration)."""

    rate_limit: int | None
    reopen_window: int | None
    auto_resolve_after: int | None
    threshold: int | None
    threshold_window: int | None
    flap_changes: int | None
    flap_window: int | None


def _none(text: str) -> bool:
    return text.strip() in ("", "none")


def _seconds(text: str) -> int:
    return int(parse_duration(text).total_seconds())


def _count_within(text: str) -> tuple[int, int]:
    """`3/5m`: a count within a time, as (count, seconds)."""
    count, slash, window = text.partition("/")
    number = whole_number(count)
    if not slash or number is None:
        raise BadInput(f"{text.strip()!r} is not a count within a time; write it as 3/5m")
    return number, _seconds(window)


def read(setting: str, text: str) -> Value:
    """`text` typed for `setting` as `configure_integration` takes it; blank or `none` clears it. A mistake is a
    BadField naming the setting."""
    if _none(text):
        return None
    try:
        if setting == "rate_limit":
            number = whole_number(text)
            if number is None:
                raise BadInput(f"{text.strip()!r} is not a whole number of requests per minute, such as 600")
            return number
        if setting in ("threshold", "flapping"):
            return _count_within(text)
        return _seconds(text)
    except BadInput as exc:
        raise BadField(setting, f"the {LABELS[setting]}: {exc}") from None


def read_all(typed: Mapping[str, str]) -> dict[str, Value]:
    """Each setting typed (by its keyword) read as `read` reads it; every mistake at once, as one BadField or, for
    several, a BadFields (`refuse_all`), so the page marks each field and the CLI names each option in one answer."""
    values: dict[str, Value] = {}
    wrong: list[BadField] = []
    for setting, text in typed.items():
        try:
            values[setting] = read(setting, text)
        except BadField as exc:
            wrong.append(exc)
    refuse_all(wrong)
    return values


def typed(row: Configured) -> dict[str, str]:
    """Each setting as `read` reads it back ('' for none): what the page's form starts from."""

    def span(seconds: int | None) -> str:
        return typed_duration(timedelta(seconds=seconds)) if seconds else ""

    def within(count: int | None, seconds: int | None) -> str:
        return f"{count}/{span(seconds)}" if count and seconds else ""

    return {
        "rate_limit": str(row.rate_limit) if row.rate_limit else "",
        "reopen_window": span(row.reopen_window),
        "auto_resolve_after": span(row.auto_resolve_after),
        "threshold": within(row.threshold, row.threshold_window),
        "flapping": within(row.flap_changes, row.flap_window),
    }


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What changed between two `typed` readings, as a sentence's parts: `reopen window 15m (was none)`."""
    return [
        f"{LABELS[key]} {after[key] or 'none'} (was {before[key] or 'none'})"
        for key in LABELS
        if before[key] != after[key]
    ]
