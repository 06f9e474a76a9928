"""Defaults that take the place of catch-all rules (pure): a desk address's category and group for its mail
(hub/desks.py), a request type's for its requests (hub/request_types.py).

A rule that tests something about the event wins over them; a catch-all rule (one that matches every event, like
the seeded "Default: everything goes to the service desk") gives way to them, or they could never apply while that
catch-all exists. Each default applied is said in the trace, as a step of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

from hub.domain import Decision, RuleBook, TraceStep


@dataclass(frozen=True)
class Defaults:
    category: str | None
    group: str | None
    source: str  # what gives them, as the trace names it: "desk it@example.com", "request type New laptop"
    because: str  # why they apply to this event: "sent to it@example.com"
    note: str  # what they are, in the trace: "the desk's defaults, over catch-all rules"


def over_catch_alls(decision: Decision, defaults: Defaults, book: RuleBook) -> Decision:
    """The decision with the defaults' category and group where no specific rule set them."""
    sets: dict[str, str] = {}
    category, assignee, assigned_from = decision.category, decision.assignee, decision.assigned_from
    if defaults.category and book.set_only_by_catch_alls("category", decision):
        category = sets["category"] = defaults.category
    if defaults.group and book.set_only_by_catch_alls("assignee", decision):
        assignee = sets["assignee"] = defaults.group
        assigned_from = None
    if not sets:
        return decision
    step = TraceStep(0, defaults.source, True, MappingProxyType(sets), (defaults.because,), (defaults.note,))
    return replace(decision, category=category, assignee=assignee, assigned_from=assigned_from,
                   trace=(*decision.trace, step))  # fmt: skip


def said(step: TraceStep) -> str:
    """A defaults' trace step in words, as a trial of the rules shows it: "assignee network from request type VPN
    access"."""
    return " and ".join(f"{name} {value}" for name, value in step.sets.items()) + f" from {step.rule}"
