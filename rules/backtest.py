"""Backtest: what a candidate rule set would change against the live one, over events that really came in.

Pure: the events (typed, with the time each arrived), the routing state and the desks' and request types'
defaults come in as values; both rule sets are compiled once, then every event is decided twice, with what the
intake lays over the rules laid over each decision (hub/over_rules.py: an agent's choices, a desk's or a request
type's defaults over catch-all rules), and the decisions compared. The web workbench calls this with the last N
stored events (`ingest.replay.recent_events`) before an admin saves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from hub.domain import NO_STATE, Decision, InboundEvent, RoutingState, RuleBook
from hub.over_rules import NOTHING, Known, defaults_said
from rules.engine import Engine

#: The kinds of change counted, in the order they are shown.
KINDS = ("recategorised", "reprioritised", "reassigned", "suppressed", "unsuppressed", "other")
_FIELDS = {"category": "recategorised", "priority": "reprioritised", "assignee": "reassigned"}
_OTHER = ("kind", "service", "tags", "title", "dedup_key", "ci", "channels")


@dataclass(frozen=True)
class EventChange:
    """One event the candidate rules would treat differently: field -> (live, candidate), as text; and what a desk's
    or a request type's defaults set under each (in words, "assignee network from request type VPN access")."""

    event_id: int
    title: str
    kinds: tuple[str, ...]
    changes: Mapping[str, tuple[str, str]]
    live_defaults: tuple[str, ...] = ()
    defaults: tuple[str, ...] = ()  # under the candidate rules


@dataclass(frozen=True)
class BacktestReport:
    events: int
    counts: Mapping[str, int]
    changed: tuple[EventChange, ...] = field(default=())
    #: The groups whose strategy chose a changed assignee: shown as the one it would pick now, for every event,
    #: where the intake's turn would move on (the page says so).
    turned: tuple[str, ...] = ()

    @property
    def unchanged(self) -> int:
        return self.events - len(self.changed)


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(map(str, value)) or "-"
    return "-" if value is None else str(value)


def compare(live: Decision, candidate: Decision) -> tuple[tuple[str, ...], dict[str, tuple[str, str]]]:
    """Which kinds of change, and the fields that differ (live, candidate)."""
    changes: dict[str, tuple[str, str]] = {}
    kinds: list[str] = []
    for name, kind in _FIELDS.items():
        before, after = getattr(live, name), getattr(candidate, name)
        if before != after:
            changes[name] = (_text(f"P{before}" if name == "priority" else before),
                             _text(f"P{after}" if name == "priority" else after))  # fmt: skip
            kinds.append(kind)
    if live.suppressed != candidate.suppressed:
        changes["suppressed"] = (_text(live.suppressed), _text(candidate.suppressed))
        kinds.append("suppressed" if candidate.suppressed else "unsuppressed")
    other = False
    for name in _OTHER:
        before, after = getattr(live, name), getattr(candidate, name)
        if before != after:
            changes[name] = (_text(before), _text(after))
            other = True
    if other:
        kinds.append("other")
    return tuple(kinds), changes


def backtest(
    live: RuleBook,
    candidate: RuleBook,
    events: Iterable[tuple[int, InboundEvent, datetime]],
    state: RoutingState = NO_STATE,
    known: Known = NOTHING,
) -> BacktestReport:
    """Decide each (event id, event, time it arrived) under both rule sets and report what would change.

    The routing state is held fixed for the whole run (a round-robin pointer does not move), so a changed
    assignee means the rules differ, not that the rota turned. `known`: the desks and request types whose defaults
    the intake lays over the rules (hub/over_rules.py `read`, once per run).
    """
    live_engine, candidate_engine = Engine(), Engine()
    counts = dict.fromkeys(KINDS, 0)
    changed: list[EventChange] = []
    turned: set[str] = set()
    total = 0
    for event_id, event, at in events:
        total += 1
        ruled_live, ruled = live_engine(event, live, at, state), candidate_engine(event, candidate, at, state)
        before, after = known.over(ruled_live, event, live), known.over(ruled, event, candidate)
        kinds, changes = compare(before, after)
        if kinds:
            for kind in kinds:
                counts[kind] += 1
            if "assignee" in changes:
                turned.update(group for group in (before.assigned_from, after.assigned_from) if group)
            changed.append(EventChange(event_id, event.title, kinds, MappingProxyType(changes),
                                       defaults_said(ruled_live, before), defaults_said(ruled, after)))  # fmt: skip
    return BacktestReport(total, MappingProxyType(counts), tuple(changed), tuple(sorted(turned)))
