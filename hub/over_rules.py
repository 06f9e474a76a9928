"""What the intake lays over the rules' decision, said once for the intake and the rules' trials (pure, but for `read`).

An agent's choices for an incident logged by hand win; then a desk address's defaults for its mail (hub/desks.py)
and a request type's for its requests (hub/request_types.py), each over catch-all rules only
(hub/routing_defaults.py). The intake looks up the event's desk and type in its transaction (`laid_over`), and
when it opens the incident gives it to its service's owner group the same way (hub/service_owners.py `taken`). The
workbench and the backtest (rules/backtest.py, rules/workbench.py) decide many events at once, so they read every
desk, active type, service owner and active CI once per run (`read`, a `Known` of four lookups) and lay the same
things over each decision (`Known.over`), or their "would be assigned to" would differ from what the intake does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import Connection

from hub import ci_links, desks, request_types, service_owners
from hub.ci_links import ActiveCis
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
    """Every desk added with defaults, by address, every active request type, by name, every service's owner
    group, by the service's name, and every active CI, as read for one run."""

    desks: Mapping[str, Desk] = field(default_factory=lambda: MappingProxyType({}))
    types: Mapping[str, Routing] = field(default_factory=lambda: MappingProxyType({}))
    owners: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    cis: ActiveCis = field(default_factory=ActiveCis)

    def over(self, decision: Decision, event: InboundEvent, book: RuleBook) -> Decision:
        """`laid_over`, with the event's desk and request type looked up here, as the intake looks them up; then
        the owner group of the service the incident would be opened on, as the intake gives it one."""
        desk = self.desks.get(event.desk_address.lower()) if event.desk_address else None
        requested = self.types.get(event.request_type) if event.request_type else None
        decision = laid_over(decision, event, book, desk, requested)
        name = ci_links.named_by(decision, event)
        ci = self.cis.find(name) if name else None
        return service_owners.taken(decision, event, book, ci.service if ci else None, self.owners.get)


#: None known: the rules alone (a rules file tried on its own, tests).
NOTHING = Known()


def read(conn: Connection) -> Known:
    """The desks, active request types, service owners and active CIs, in four queries, for a run of many events."""
    return Known(MappingProxyType(desks.configured(conn)), MappingProxyType(request_types.routings(conn)),
                 MappingProxyType(service_owners.every(conn)), ci_links.active(conn))  # fmt: skip


def defaults_said(ruled: Decision, laid: Decision) -> tuple[str, ...]:
    """What the defaults `Known.over` added to the rules' decision `ruled` set, in words ("assignee network from
    request type VPN access", "assignee dba from service Payments"), one line per desk, type or owner group that set
    something."""
    return tuple(said(step) for step in laid.trace[len(ruled.trace) :])
