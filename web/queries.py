"""Reading incidents for pages and the API: one query each, and the JSON shape the API promises."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import sla
from hub.attachments import IncidentFile
from hub.models import INCIDENT_STATUSES, Incident, TimeEntry, TimelineEntry
from hub.numbers import reference

STATUSES = INCIDENT_STATUSES
#: What every query whose incidents `incident_json` answers loads with them: their standing major-incident
#: declaration, for a whole page in one more query.
WITH_MAJOR = selectinload(Incident.major)


def incident_id(ref: str) -> int | None:
    """The id in a whole reference like `INC-7` (any case), or None: `/incidents/INC-7x` is not INC-7."""
    return reference("INC", ref)


def get_incident(session: Session, ref: str) -> Incident | None:
    """One incident with its timeline and watchers loaded, so it can be read after the session closes."""
    found = incident_id(ref)
    if found is None:
        return None
    query = (
        select(Incident)
        .where(Incident.id == found)
        .options(selectinload(Incident.timeline), selectinload(Incident.watchers), WITH_MAJOR)
    )
    return session.scalar(query)


def iso_or_null(value: datetime | None) -> str | None:
    """A moment as the API writes it (ISO 8601, with its offset), or None (JSON null)."""
    return value.isoformat() if value is not None else None


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "ref": incident.ref,
        "title": incident.title,
        "status": incident.status,
        "priority": incident.priority,
        "severity": incident.severity,
        "category": incident.category,
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
        "sla_state": sla.live_state(incident),  # ok|warning|breached|paused|met, or null without an SLA
        "minutes_spent": incident.minutes_spent,  # time logged working it (hub/time_spent.py)
        # A major incident now (hub/major_incidents.py): who coordinates it, and since when.
        "major": incident.major is not None,
        "coordinator": incident.major.coordinator if incident.major is not None else None,
        "major_since": iso_or_null(incident.major.declared_at) if incident.major is not None else None,
    }


def timeline_entry_json(entry: TimelineEntry) -> dict[str, Any]:
    """One timeline entry: its `id` is what a note's or reply's files name (`timeline_entry_id`), its `event_id` what
    an email's do."""
    return {
        "id": entry.id,
        "at": iso_or_null(entry.at),
        "kind": entry.kind,
        "summary": entry.summary,
        "event_id": entry.event_id,
        "data": entry.data,
    }


def time_entry_json(entry: TimeEntry) -> dict[str, Any]:
    """One entry of time spent: its `id` is what `PATCH .../time/<id>` corrects."""
    return {"id": entry.id, "who": entry.who, "minutes": entry.minutes, "what": entry.what, "at": iso_or_null(entry.at)}


def file_json(found: IncidentFile, url: str) -> dict[str, Any]:
    """One file of an incident: where it came from, tied to the timeline entry or the email event it belongs to, and
    `url`, where its bytes are fetched (a 404 saying why, when `stored` is false)."""
    return {
        "id": found.id,
        "filename": found.filename,
        "content_type": found.content_type,
        "size": found.size,
        "sha256": found.sha256,
        "stored": found.stored,
        "from": found.origin,
        "event_id": found.event_id,
        "timeline_entry_id": found.timeline_entry_id,
        "url": url,
    }


def incident_detail_json(incident: Incident) -> dict[str, Any]:
    return {
        **incident_json(incident),
        "description": incident.description,
        "timeline": [timeline_entry_json(e) for e in incident.timeline],
        "watchers": [w.email for w in incident.watchers],
    }
