"""Reading incidents the same way through every door: one incident with what its page shows, and the JSON shape
that `GET /api/v1/incidents` promises and `switchboard incident list --json` prints (one shape for scripts,
whichever door they read through)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import sla
from hub.models import Incident
from hub.request_steps import Progress, progress_json

#: What every query whose incidents `incident_json` answers loads with them: their standing major-incident
#: declaration, for a whole page in one more query.
WITH_MAJOR = selectinload(Incident.major)


def with_timeline(session: Session, incident_id: int) -> Incident | None:
    """One incident with its timeline, watchers and copied people loaded, so it can be read after the session closes."""
    query = (
        select(Incident)
        .where(Incident.id == incident_id)
        .options(
            selectinload(Incident.timeline), selectinload(Incident.watchers), selectinload(Incident.copied), WITH_MAJOR
        )
    )
    return session.scalar(query)


def iso_or_null(value: datetime | None) -> str | None:
    """A moment as the API writes it (ISO 8601, with its offset), or None (JSON null)."""
    return value.isoformat() if value is not None else None


def incident_json(incident: Incident, steps: Progress | None) -> dict[str, Any]:
    """The incident as every door answers it; `steps`: its fulfilment checklist's progress, read for a whole page
    at once by `hub.request_steps.progress_among` (None: it has no steps)."""
    return {
        "ref": incident.ref,
        "title": incident.title,
        "status": incident.status,
        "priority": incident.priority,
        "severity": incident.severity,
        "category": incident.category,
        "kind": incident.kind,  # incident or request (a service request): hub.domain.INCIDENT_KINDS
        # What it was asked for as on the help centre (hub/request_types.py), by name; null for most.
        "request_type": incident.request_type.name if incident.request_type is not None else None,
        "assignee": incident.assignee,
        "requester": incident.requester,
        "source": incident.source,
        "dedup_key": incident.dedup_key,
        "occurrences": incident.occurrences,
        "first_seen": iso_or_null(incident.first_seen),
        "last_seen": iso_or_null(incident.last_seen),
        "acknowledged_at": iso_or_null(incident.acknowledged_at),
        "resolved_at": iso_or_null(incident.resolved_at),
        "resolution": incident.resolution,
        "public_note": incident.public_note,
        "merged_into": f"INC-{incident.merged_into_id}" if incident.merged_into_id else None,
        "problem": f"PRB-{incident.problem_id}" if incident.problem_id else None,  # the problem it is part of
        "labels": dict(incident.labels or {}),
        "service": incident.service,
        "ci": incident.ci.name if incident.ci is not None else None,  # the configuration item (hub/cis.py)
        "sla_due_at": iso_or_null(incident.sla_due_at),  # the resolution target
        # The nearest target still to meet (first response, else resolution): what `sort=due` orders by.
        "sla_next_due_at": iso_or_null(incident.sla_next_due_at),
        "sla_state": sla.live_state(incident),  # ok|warning|breached|paused|met, or null without an SLA
        "minutes_spent": incident.minutes_spent,  # time logged working it (hub/time_spent.py)
        # A major incident now (hub/major_incidents.py): who coordinates it, and since when.
        "major": incident.major is not None,
        "coordinator": incident.major.coordinator if incident.major is not None else None,
        "major_since": iso_or_null(incident.major.declared_at) if incident.major is not None else None,
        **progress_json(steps),  # a request's steps done and in all (hub/request_steps.py); null without steps
    }
