"""Critical alerts opening incidents, what an incident's clocks became, a calendar to start from and the SLA
revision: what the tests of changing and removing SLA policies and calendars (the clocks re-planned,
hub/sla_replanning.py; hub/calendars.py) share."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hub import catalogue_rows, revisions
from hub.calendars import CalendarTerms
from hub.db import Database
from hub.domain import Action, InboundEvent
from hub.intake import Raw
from hub.models import Incident, TimelineEntry

RAW = Raw(source="generic", content_type="application/json", body=b"{}")
H = timedelta(hours=1)


def critical(key: str, action: Action = Action.TRIGGER, **labels: str) -> InboundEvent:
    """A critical alert: a P1 incident."""
    return InboundEvent(source="generic", title=f"{key} down", severity="critical", dedup_key=key, action=action,
                        labels=labels)  # fmt: skip


def incident(db: Database, incident_id: int) -> Incident:
    with db.read() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


def sla_timeline(db: Database, incident_id: int) -> list[str]:
    """The incident's SLA timeline lines, oldest first."""
    about = (TimelineEntry.incident_id == incident_id, TimelineEntry.kind == "sla")
    with db.read() as session:
        return list(session.scalars(select(TimelineEntry.summary).where(*about).order_by(TimelineEntry.id)))


#: A calendar open all day every day, to start calendar tests from.
OFFICE = CalendarTerms(tz="UTC", hours="24x7", country=None, subdivision=None, dates=frozenset())


def sla_revision(db: Database) -> int:
    """The catalogue's SLA revision, which every change to a policy or a calendar moves on."""
    with db.read() as session:
        return revisions.Revisions().of(session.connection()).get(catalogue_rows.SLA_REVISION, 0)
