"""Reading incidents for pages and the API: one query each, and the JSON of an incident's parts (the incident's own
shape is hub/incident_reading.py's, which the command line prints too)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.attachments import IncidentFile
from hub.incident_reading import incident_json, iso_or_null, with_timeline
from hub.models import INCIDENT_STATUSES, Incident, TimeEntry, TimelineEntry
from hub.numbers import reference
from hub.request_steps import Progress

STATUSES = INCIDENT_STATUSES


def incident_id(ref: str) -> int | None:
    """The id in a whole reference like `INC-7` (any case), or None: `/incidents/INC-7x` is not INC-7."""
    return reference("INC", ref)


def get_incident(session: Session, ref: str) -> Incident | None:
    """One incident by its reference, with its timeline and watchers loaded (`with_timeline`)."""
    found = incident_id(ref)
    return with_timeline(session, found) if found is not None else None


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


def incident_detail_json(incident: Incident, steps: Progress | None) -> dict[str, Any]:
    return {
        **incident_json(incident, steps),
        "description": incident.description,
        "timeline": [timeline_entry_json(e) for e in incident.timeline],
        "watchers": [w.email for w in incident.watchers],
        "copied": [c.email for c in incident.copied],
    }
