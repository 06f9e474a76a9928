"""What the intake lays over the rules' decision, said once for the intake and the rules' trials (pure, but for `read`).

An agent's choices for an incident logged by hand win; then a desk address's defaults for its mail (hub/desks.py)
and a request type's for its requests (hub/request_types.py), each over catch-all rules only
(hub/routing_defaults.py). The intake looks up the event's desk and type in its transaction (`laid_over`); the
workbench and the backtest (rules/backtest.py, rules/workbench.py) decide many events at once, so they read every
desk and active type once per run (`read`, a `Known` of two dicts) and lay the same things over each decision
(`Known.over`), or their "would be assigned to" would differ from what the intake does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import Connection

from hub import desks, request_types
from hub.desks import Desk
from hub.domain import Decision, InboundEvent, RuleBook
from hub.request_types import Routing
from hub.routing_defaults import said


def laid_over(
    decision: Decision, event: InboundEvent, book: RuleBook, desk: Desk | None, requested: Routing | None
) -> Decision:
    """The rules' `decision` for `event` with what the intake adds: the agent's choices, then the desk's and the
    request type's defaults where no specific rule decided."""
    if event.chosen is not None:  # logged by hand: the agent's choices win
        decision = event.chosen.over(decision)
    decision = desks.with_defaults(decision, desk, book)
    if requested is not None:
        decision = requested.over_catch_alls(decision, book)
    return decision


@dataclass(frozen=True)
class Known:
    """Every desk added with defaults, by address, and every active request type, by name, as read for one run."""

    desks: Mapping[str, Desk] = field(default_factory=lambda: MappingProxyType({}))
    types: Mapping[str, Routing] = field(default_factory=lambda: MappingProxyType({}))

    def over(self, decision: Decision, event: InboundEvent, book: RuleBook) -> Decision:
        """`laid_over`, with the event's desk and request type looked up here, as the intake looks them up."""
        desk = self.desks.get(event.desk_address.lower()) if event.desk_address else None
        requested = self.types.get(event.request_type) if event.request_type else None
        return laid_over(decision, event, book, desk, requested)


#: None known: the rules alone (a rules file tried on its own, tests).
NOTHING = Known()


def read(conn: Connection) -> Known:
    """The desks and active request types, in two queries, for a run of many events."""
    return Known(MappingProxyType(desks.configured(conn)), MappingProxyType(request_types.routings(conn)))


def defaults_said(ruled: Decision, laid: Decision) -> tuple[str, ...]:
    """What the defaults `laid_over` added to the rules' decision `ruled` set, in words ("assignee network, from
    request type VPN access"), one line per desk or type that set something."""
    return tuple(said(step) for step in laid.trace[len(ruled.trace) :])
