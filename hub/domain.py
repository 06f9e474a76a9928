"""Domain values that cross layer boundaries: what came in, and what the rules decided about it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Action(StrEnum):
    """What an event asks of its incident."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


SEVERITIES = ("critical", "high", "warning", "info", "unknown")
ROLES = ("admin", "agent", "viewer")

_REF = re.compile(r"\bINC-(\d{1,12})\b", re.IGNORECASE)


def format_ref(incident_id: int) -> str:
    return f"INC-{incident_id}"


def parse_ref(text: str) -> int | None:
    """The incident id in the first `INC-<n>` found in `text` (a subject line, a URL), or None."""
    match = _REF.search(text)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class InboundEvent:
    """A typed event, made by an ingest adapter from raw input (pure, no I/O)."""

    source: str
    title: str
    description: str = ""
    severity: str = "unknown"
    action: Action = Action.TRIGGER
    dedup_key: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    integration: str | None = None
    requester: str | None = None  # email address of the person who asked
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()  # In-Reply-To and References, newest last
    thread_ref: int | None = None  # incident id named in a subject tag like [INC-12]
    auto_submitted: bool = False  # auto-replies, bounces, lists: never answered, to avoid mail loops
    bounce: bool = False  # a delivery failure report: never a new incident
    looped: bool = False  # our own notification came back to us: never a new incident

    def field_value(self, name: str) -> Any:
        """Look up a field by the name rules use: `severity`, `labels.team`, ..."""
        if name.startswith("labels."):
            return self.labels.get(name.removeprefix("labels."))
        if name in _RULE_FIELDS:
            value = getattr(self, name)
            return value.value if isinstance(value, StrEnum) else value
        return None


_RULE_FIELDS = frozenset(
    {"source", "title", "description", "severity", "action", "dedup_key", "integration", "requester"}
)
RULE_FIELDS = (*sorted(_RULE_FIELDS), "labels.<name>")


def is_rule_field(name: str) -> bool:
    """Whether rules can test `name` on an event (a known field or `labels.<something>`)."""
    return name in _RULE_FIELDS or (name.startswith("labels.") and len(name) > len("labels."))


@dataclass(frozen=True)
class RuleSpec:
    """A stored rule as the engine sees it."""

    id: int
    name: str
    field: str
    op: str
    value: str = ""
    set_category: str | None = None
    set_assignee: str | None = None
    stop: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class Policy:
    """How one integration's events are treated; every part is optional (None: off)."""

    reopen_window: int | None = None  # seconds: a trigger this soon after a resolve reopens the incident
    threshold: int | None = None  # events with one dedup key before an incident opens
    threshold_window: int | None = None  # seconds within which those events must arrive
    flap_changes: int | None = None  # this many state changes of one alert ...
    flap_window: int | None = None  # ... within this many seconds make it flapping: notices held until stable


NO_POLICY = Policy()


MATCH_OPS = ("=", "!=", "=~", "!~")


@dataclass(frozen=True)
class Matcher:
    """One condition of a silence, Alertmanager-style: `labels.team=db`, `severity!=info`, `title=~disk.*`."""

    field: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.field}{self.op}{self.value}"


@dataclass(frozen=True)
class SilenceSpec:
    """A maintenance window: events matching every matcher between the two times notify no one."""

    id: int
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    comment: str = ""


@dataclass(frozen=True)
class RuleBook:
    """The routing in force (ordered rules and unexpired silences), with the version caches key on."""

    version: int
    rules: tuple[RuleSpec, ...]
    silences: tuple[SilenceSpec, ...] = ()


@dataclass(frozen=True)
class TraceStep:
    rule_id: int
    rule: str
    matched: bool
    sets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Decision:
    """What the rules decided for one event, and why (the trace is stored with the event)."""

    priority: int
    category: str | None = None
    assignee: str | None = None
    trace: tuple[TraceStep, ...] = ()
    silenced_by: int | None = None  # the silence that holds this event's notifications

    def trace_json(self) -> list[dict[str, Any]]:
        return [{"rule_id": s.rule_id, "rule": s.rule, "matched": s.matched, "sets": dict(s.sets)} for s in self.trace]
