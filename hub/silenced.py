"""Which incidents were opened under a silence (a maintenance window), for the marks the incident list and the
incident's page show: people look there, not at the timeline's first line, to learn why no one was notified.

The intake keeps the silence's id in the opening's timeline entry (`data["silenced_by"]`), so the list reads it for
a page of incidents in one query over entries it already indexes by incident, and no column or migration is added;
the silence's reason and end come from a join, since an admin may end it early.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from hub.models import Silence, TimelineEntry, utcnow


@dataclass(frozen=True)
class Silenced:
    """The silence an incident was opened under."""

    silence_id: int
    comment: str  # why, as its maker said ("" when none was given)
    ends_at: datetime | None  # None if the silence is no longer on record

    @property
    def holding(self) -> bool:
        """Whether the silence still holds its notifications now."""
        return self.ends_at is not None and self.ends_at > utcnow()


def among(conn: Connection, incident_ids: Sequence[int]) -> dict[int, Silenced]:
    """The silence each of these incidents was opened under, for those that were: one query for a page."""
    if not incident_ids:
        return {}
    held = TimelineEntry.data["silenced_by"].as_integer()
    query = (
        select(TimelineEntry.incident_id, held, Silence.comment, Silence.ends_at)
        .select_from(TimelineEntry)
        .outerjoin(Silence, Silence.id == held)
        .where(TimelineEntry.incident_id.in_(incident_ids), TimelineEntry.kind == "opened", held.is_not(None))
    )
    return {row[0]: Silenced(row[1], row[2] or "", row[3]) for row in conn.execute(query)}
