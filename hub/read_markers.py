"""What is new to a person on an incident: what people wrote on it, or its assignment to them, since they last
opened its page.

Opening the page remembers when (`mark_read`, one upsert on the page's request); nothing on the ingest path writes
here, so an alert storm pays nothing for it. What counts is read from the timeline the intake writes anyway:

- a requester's mail (`email`), but not automatic mail (an out-of-office or a bounce says nothing to act on);
- a colleague's note or reply to the requester (`note`, `reply`), not one's own;
- an assignment by someone else (`assigned`) of an incident that is theirs now.

Repeats of an alert, status changes, SLA and notification entries are not "new": they say nothing a person wrote.

An incident the person never opened counts only what happened after they first opened any incident (their oldest
marker), and nothing is new to someone who never opened one. Counting from the incident's beginning marked every
incident anyone ever wrote on, years of resolved and closed ones, as new to everyone once markers arrived (and to
every newcomer); "since you began reading here" keeps what arrives for a new colleague and drops that backlog,
with no date to store. `has_news` is one correlated condition, so the list marks a whole page in one query and
filters by it inside its own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.models import Incident, IncidentRead, TimelineEntry, User, utcnow

#: Timeline kinds that can be news (which of them are is `has_news`'s business).
NEWS_KINDS = ("email", "note", "reply", "assigned")


def mark_read(conn: Connection, user_id: int, incident_id: int, at: datetime | None = None) -> None:
    """Remember that the person saw the incident as it stood at `at` (now): later entries are new to them."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    row = dialect.insert(IncidentRead).values(user_id=user_id, incident_id=incident_id, seen_at=at or utcnow())
    conn.execute(row.on_conflict_do_update(index_elements=[IncidentRead.user_id, IncidentRead.incident_id],
                                           set_={"seen_at": row.excluded.seen_at}))  # fmt: skip


def has_news(me: str) -> ColumnElement[bool]:
    """A condition on `Incident`: something people did since `me` (an address) last opened it, as listed above."""
    me = me.lower()
    user = select(User.id).where(User.email == me).scalar_subquery()
    seen = (
        select(IncidentRead.seen_at)
        .where(IncidentRead.user_id == user, IncidentRead.incident_id == Incident.id)
        .correlate(Incident)  # the list's incident, two levels up (auto-correlation looks one level only)
        .scalar_subquery()
    )
    # Their first look at any incident: the same for every row, so the database reads it once per query.
    began = select(func.min(IncidentRead.seen_at)).where(IncidentRead.user_id == user).correlate(None).scalar_subquery()
    by = TimelineEntry.data["by"].as_string()
    not_mine = or_(by.is_(None), func.lower(by) != me)
    counted = or_(
        and_(TimelineEntry.kind == "email", TimelineEntry.data["automatic"].as_string().is_(None)),
        and_(TimelineEntry.kind.in_(("note", "reply")), not_mine),
        and_(TimelineEntry.kind == "assigned", Incident.assignee == me, not_mine),
    )
    return exists().where(
        TimelineEntry.incident_id == Incident.id,
        TimelineEntry.kind.in_(NEWS_KINDS),
        TimelineEntry.at > func.coalesce(seen, began),  # NULL, never opened any: nothing is new
        counted,
    )


def with_news(session: Session, me: str, incident_ids: Collection[int]) -> set[int]:
    """Which of `incident_ids` (a page of the list) have news for `me`: one query, however many there are."""
    if not incident_ids:
        return set()
    return set(session.scalars(select(Incident.id).where(Incident.id.in_(list(incident_ids)), has_news(me))))
