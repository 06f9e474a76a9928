"""The service catalogue as the /services page shows it: each service with its unresolved incidents by status and
the SLA policies that name it, every policy with the incidents whose clocks it runs, and the calendars.

Five queries however many services, policies and incidents there are: the counts are grouped in the database and
reach only unresolved incidents, through the status index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import calendars, catalogue
from hub.models import Incident, Service
from hub.sla_replanning import RUNNING, running_clocks
from hub.status_page import LIVE


@dataclass(frozen=True)
class PolicyLine:
    name: str
    priority: int
    service: str | None  # None: for every service
    scope: str  # "service mail, category outage", or "all"
    targets: str  # "first response 30 min, resolution 4 h"
    warn_at: float
    calendar: str | None  # None: 24x7 UTC
    running: int  # unresolved incidents whose clocks it runs


@dataclass(frozen=True)
class ServiceLine:
    name: str
    owner_group: str | None
    major_group: str | None  # paged for its major incidents instead of the installation's group
    description: str
    public: bool
    unresolved: tuple[tuple[str, int], ...]  # (status, how many), in LIVE's order, statuses with none left out
    policies: tuple[PolicyLine, ...]  # the policies that name it


@dataclass(frozen=True)
class Overview:
    services: tuple[ServiceLine, ...]
    policies: tuple[PolicyLine, ...]  # by priority, then name
    calendars: tuple[tuple[str, str], ...]  # (name, the line `switchboard calendar list` prints), by name

    @property
    def for_every_service(self) -> tuple[PolicyLine, ...]:
        return tuple(p for p in self.policies if p.service is None)

    @property
    def for_one_service(self) -> tuple[PolicyLine, ...]:
        return tuple(p for p in self.policies if p.service is not None)


def unresolved_by_service(session: Session) -> dict[str, dict[str, int]]:
    """How many unresolved incidents each service has, by status: {"mail": {"open": 2, "waiting": 1}}."""
    query = (
        select(Incident.service, Incident.status, func.count())
        .where(RUNNING, Incident.service.is_not(None))
        .group_by(Incident.service, Incident.status)
    )
    found: dict[str, dict[str, int]] = {}
    for service, status, count in session.execute(query).all():
        found.setdefault(str(service), {})[status] = int(count)
    return found


def read(session: Session) -> Overview:
    running = running_clocks(session)
    policies = [
        PolicyLine(
            name=policy.name,
            priority=policy.priority,
            service=policy.service,
            scope=catalogue.describe_scope(policy),
            targets=catalogue.describe_targets(policy),
            warn_at=policy.warn_at,
            calendar=calendar,
            running=running.get(policy.id, 0),
        )
        for policy, calendar in catalogue.policies(session)
    ]
    described = [(row.name, calendars.describe_calendar(row)) for row in calendars.calendars(session)]
    return assemble(catalogue.services(session), policies, unresolved_by_service(session), described)


def assemble(
    services: Sequence[Service],
    policies: Sequence[PolicyLine],
    unresolved: Mapping[str, Mapping[str, int]],
    calendars: Sequence[tuple[str, str]],
) -> Overview:
    """The page's lines from what was read (pure): each service with its counts and the policies naming it."""
    lines = tuple(
        ServiceLine(
            name=service.name,
            owner_group=service.owner_group,
            major_group=service.major_group,
            description=service.description,
            public=service.public,
            unresolved=tuple((s, n) for s in LIVE if (n := unresolved.get(service.name, {}).get(s, 0))),
            policies=tuple(p for p in policies if p.service == service.name),
        )
        for service in services
    )
    return Overview(lines, tuple(policies), tuple(calendars))
