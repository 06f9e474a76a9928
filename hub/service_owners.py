"""A service's owner group takes the incidents on it that no specific rule assigned.

The catalogue says who looks after each service (`switchboard service add --name mail --owner-group messaging`).
An incident whose service is known from the start (set by a rule, supported by its CI, named by an alert's
`service` label or chosen by a requester on the help centre) goes to that group when the rules said nothing more
specific than a catch-all, as a desk address's group does for its mail (hub/desks.py): otherwise the seeded
catch-all rule would send everything to the service desk, and the owner group would never hear of its own
service's trouble. A rule that tests something about the event, a desk's group and an agent's own choice all win
over it.

The intake asks the catalogue for the one service an incident is opened on (`owner_group`); the rules' trials
(hub/over_rules.py) read every owner once per run (`every`); both apply them through `taken`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType

from sqlalchemy import Connection, bindparam, select

from hub.domain import Decision, InboundEvent, RuleBook, TraceStep
from hub.models import Service
from hub.prepared import Prepared

_OWNER = Prepared(select(Service.owner_group).where(Service.name == bindparam("name")), supplied=("name",))
#: Longer than any service name can be (hub/names.py): an alert's label, not a service; not worth a query.
_LONGEST_NAME = 100


def owner_group(conn: Connection, service: str | None) -> str | None:
    """The owner group of the catalogue's service of this name, or None (no such service, or no owner)."""
    if not service or len(service) > _LONGEST_NAME:
        return None
    return _OWNER.scalar(conn, {"name": service})


def every(conn: Connection) -> dict[str, str]:
    """Every service's owner group, by the service's name (services with none left out), in one query."""
    query = select(Service.name, Service.owner_group).where(Service.owner_group.is_not(None))
    return {name: owner for name, owner in conn.execute(query) if owner}


def taken(
    decision: Decision,
    event: InboundEvent,
    book: RuleBook,
    ci_service: str | None,
    owner_of: Callable[[str], str | None],
) -> Decision:
    """The decision given to the owner group of the service the incident is on when only a catch-all rule assigned
    it and no agent chose an assignee. The service: the rules' (or the agent's), else the one its CI supports
    (`ci_service`), else the event's `service` label (an alert's, or the requester's choice on the help centre).
    `owner_of` is asked only when the answer could change the decision."""
    service = decision.service or ci_service or event.labels.get("service")
    if not service or (event.chosen is not None and event.chosen.assignee is not None):
        return decision
    if not may_take(decision, book):
        return decision
    return with_owner(decision, service, owner_of(service))


def may_take(decision: Decision, book: RuleBook) -> bool:
    """Whether an owner group may assign this decision: no assignee yet, or one only a catch-all rule gave (pure,
    so the intake asks the database for an owner only when the answer could matter)."""
    return book.set_only_by_catch_alls("assignee", decision)


def with_owner(decision: Decision, service: str, owner: str | None) -> Decision:
    """The decision assigned to the service's owner group, with a trace step saying why (pure)."""
    if not owner:
        return decision
    step = TraceStep(0, f"service {service}", True, MappingProxyType({"assignee": owner}), (f"on {service}",),
                     ("the service's owner group, over catch-all rules",))  # fmt: skip
    return replace(decision, assignee=owner, assigned_from=None, trace=(*decision.trace, step))
