"""Which changes may explain an incident: those carried out in the hours before it was first seen.

Changes on the incident's own service come first, then those on any other service, each newest first; the most
recent change on the same service is marked as the likely culprit. The ranking is a pure function (`rank`); the
one query (`related_changes`) reads the indexed `implemented_at` within the window and hands the rows to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from hub.models import Change, Incident

DEFAULT_WINDOW = timedelta(hours=24)
#: At most this many changes are looked at (a busy estate can deploy hundreds of times a day).
LIMIT = 50


@dataclass(frozen=True)
class Candidate:
    """A carried-out change as the ranking sees it."""

    ref: str
    title: str
    service: str | None
    version: str | None
    implemented_at: datetime
    link: str | None = None
    state: str = "implemented"


@dataclass(frozen=True)
class Related:
    change: Candidate
    same_service: bool
    likely_culprit: bool

    def as_json(self) -> dict[str, Any]:
        c = self.change
        return {
            "ref": c.ref,
            "title": c.title,
            "service": c.service,
            "version": c.version,
            "state": c.state,
            "implemented_at": c.implemented_at.isoformat(),
            "link": c.link,
            "same_service": self.same_service,
            "likely_culprit": self.likely_culprit,
        }


def rank(
    candidates: Sequence[Candidate], *, service: str | None, first_seen: datetime, window: timedelta = DEFAULT_WINDOW
) -> list[Related]:
    """Changes carried out within `window` before `first_seen`: same service first, then the rest, newest first
    within each; the newest on the same service is the likely culprit (none without a service)."""
    since = first_seen - window
    inside = [c for c in candidates if since <= c.implemented_at <= first_seen]
    newest_first = sorted(inside, key=lambda c: (c.implemented_at, c.ref), reverse=True)
    same = [c for c in newest_first if service is not None and c.service == service]
    other = [c for c in newest_first if not (service is not None and c.service == service)]
    ranked = [Related(c, True, i == 0) for i, c in enumerate(same)]
    return ranked + [Related(c, False, False) for c in other]


def incident_service(incident: Incident) -> str | None:
    """The service an incident is on: set by a rule, else its `service` label."""
    return incident.service or (incident.labels or {}).get("service") or None


def minutes_since_change(conn: Connection | Session, service: str, now: datetime) -> int | None:
    """Whole minutes since the newest change implemented on `service`, or None if it never had one."""
    last = conn.scalar(select(func.max(Change.implemented_at)).where(Change.service == service,
                                                                      Change.implemented_at <= now))  # fmt: skip
    if last is None:
        return None
    last = last if last.tzinfo else last.replace(tzinfo=UTC)
    return int((now - last).total_seconds() // 60)


def _candidate(r: Any) -> Candidate:
    """A change's row (or the columns `related_changes` reads) as the ranking sees it."""
    return Candidate(f"CHG-{r.id}", r.title, r.service, r.version, r.implemented_at, r.link, r.state)


def related_changes(session: Session, incident: Incident, window: timedelta = DEFAULT_WINDOW) -> list[Related]:
    """The ranked changes for one incident: indexed range queries, one for the incident's own service (so a busy
    estate's other deploys cannot crowd it out) and one for every service."""
    first_seen, service = incident.first_seen, incident_service(incident)
    query = (
        select(Change.id, Change.title, Change.service, Change.version, Change.implemented_at, Change.link,
               Change.state)
        .where(Change.implemented_at.between(first_seen - window, first_seen))
        .order_by(Change.implemented_at.desc())
        .limit(LIMIT)
    )  # fmt: skip
    rows = {r.id: r for r in session.execute(query).all()}
    if service is not None:
        rows.update({r.id: r for r in session.execute(query.where(Change.service == service)).all()})
    return rank([_candidate(r) for r in rows.values()], service=service, first_seen=first_seen, window=window)


@dataclass(frozen=True)
class Followed:
    """An incident first seen within the window after a change was carried out, and what correlation made of it."""

    ref: str
    title: str
    status: str
    first_seen: datetime
    same_service: bool
    likely_culprit: bool  # this change is the one its incident's page names its likely culprit

    def as_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "title": self.title,
            "status": self.status,
            "first_seen": self.first_seen.astimezone(UTC).isoformat(),
            "same_service": self.same_service,
            "likely_culprit": self.likely_culprit,
        }


def standing(
    mine: Candidate, later: Sequence[Candidate], *, service: str | None, first_seen: datetime, window: timedelta
) -> tuple[bool, bool]:
    """(same service, likely culprit): how an incident's page (`related_changes`) ranks `mine`, told the changes on
    mine's service carried out with or after it, the only ones that can rank above it. As that page keeps the
    newest LIMIT on its own service, mine is not listed there (neither) behind LIMIT newer ones."""
    if service is None or mine.service != service:
        return False, False  # listed (or not) among the other services' changes: never the culprit
    ranked = rank([mine, *later], service=service, first_seen=first_seen, window=window)[:LIMIT]
    found = [r for r in ranked if r.change.ref == mine.ref]
    return (found[0].same_service, found[0].likely_culprit) if found else (False, False)


def incidents_after(session: Session, change: Change, window: timedelta = DEFAULT_WINDOW) -> list[Followed]:
    """The incidents first seen within `window` after `change` was carried out, oldest first, each as its own page
    ranks the change (`related_changes`), so the change's review and the incident's page agree on the culprit.
    Two queries however many incidents: only the changes on this one's service carried out after it (up to the
    last incident) can rank above it, so those are read once for all of them."""
    if change.implemented_at is None:
        return []
    query = (
        select(Incident)
        .where(Incident.first_seen.between(change.implemented_at, change.implemented_at + window))
        .order_by(Incident.first_seen, Incident.id)
        .limit(LIMIT)
    )
    incidents = list(session.scalars(query))
    if not incidents:
        return []
    mine, later = _candidate(change), []
    if change.service is not None:
        newer = (
            select(Change.id, Change.title, Change.service, Change.version, Change.implemented_at, Change.link,
                   Change.state)
            .where(Change.service == change.service, Change.id != change.id,
                   Change.implemented_at.between(change.implemented_at, incidents[-1].first_seen))
            .order_by(Change.implemented_at, Change.id)
            .limit(LIMIT)
        )  # fmt: skip
        later = [_candidate(r) for r in session.execute(newer).all()]
    followed = []
    for incident in incidents:
        same, culprit = standing(mine, later, service=incident_service(incident), first_seen=incident.first_seen,
                                 window=window)  # fmt: skip
        followed.append(Followed(incident.ref, incident.title, incident.status, incident.first_seen, same, culprit))
    return followed
