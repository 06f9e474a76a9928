"""Amending a change's plan before work on it starts: what the amendment asks for, checked, and how the history
keeps each part (old -> new). Pure; hub/changes.py::amend applies it under the change's lock."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from hub.change_states import RISKS
from hub.errors import BadInput
from hub.models import Change

MAX_TEXT = 20_000
#: The parts of a plan that are instants: kept in the history in ISO form (UTC), shown on the reader's clock.
TIMES = ("planned_start", "planned_end")


def text_of(value: str) -> str:
    """A plan's text as kept: trimmed, at most MAX_TEXT characters."""
    return value.strip()[:MAX_TEXT]


@dataclass(frozen=True)
class Amendment:
    """What a change's plan becomes; None leaves that part as it is (a window is moved, not removed)."""

    title: str | None = None
    risk: str | None = None
    impact: str | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    implementation_plan: str | None = None
    test_plan: str | None = None
    backout_plan: str | None = None


@dataclass(frozen=True)
class Amended:
    """An amended change, what changed (field -> (old, new)) and whether its votes were voided by a moved window."""

    change: Change
    changed: dict[str, tuple[Any, Any]]
    reapproval: bool


def amended_plan(row: Change, amendment: Amendment) -> dict[str, Any]:
    """The plan `amendment` asks for, each part checked, whole (parts not given as they are)."""
    wanted: dict[str, Any] = {f.name: getattr(row, f.name) for f in fields(Amendment)}
    given = {f.name: getattr(amendment, f.name) for f in fields(Amendment) if getattr(amendment, f.name) is not None}
    if "title" in given:
        given["title"] = given["title"].strip()
        if not given["title"] or len(given["title"]) > 500:
            raise BadInput("a change needs a title of 1 to 500 characters, e.g. 'Upgrade PostgreSQL to 16'")
    if given.get("risk", RISKS[0]) not in RISKS:
        raise BadInput(f"risk must be one of {', '.join(RISKS)}, not {given['risk']!r}")
    for name in ("impact", "implementation_plan", "test_plan", "backout_plan"):
        if name in given:
            given[name] = text_of(given[name])
    return {**wanted, **given}


def said(value: object) -> str | None:
    """A plan's part as the history keeps it: times in ISO form, long text cut."""
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text if len(text) <= 300 else text[:299] + "…"


def parts_said(
    changed: Mapping[str, Sequence[str | None]], show: Callable[[datetime], str]
) -> list[tuple[str, str | None, str | None]]:
    """An amendment's parts as its history entry says them, (name, old, new), the window's times through `show`
    (the page's viewer zone, the command's printing zone), so they read as the other times beside them; None where
    a part had or has no value."""

    def part(name: str, value: str | None) -> str | None:
        if value is None or name not in TIMES:
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value  # kept otherwise by an older version: said as kept
        return show(moment if moment.tzinfo else moment.replace(tzinfo=UTC))

    return [(name.replace("_", " "), part(name, old), part(name, new)) for name, (old, new) in changed.items()]
