"""The public status page: how each public service is doing, so people see a known outage before they email it in.

A service appears when an admin makes it public (`switchboard service set mail --public`). Its state comes from
its open incidents: a P1 is a major outage and a P2 a partial outage, without anyone having to say so; any other
open incident counts only once an agent has written it a public note, and is then "degraded". What the page says
is only ever those notes, in an agent's words: incident titles and descriptions are the desk's, written by
monitoring tools and by the people who mailed in, and stay inside. A resolved incident's note stays on the page,
marked resolved, for RECENT.

Planned maintenance comes from change enablement: a scheduled change to a public service is announced for the
AHEAD before its window, by its window alone (its title, like an incident's, is the desk's), and while it is
being carried out the service is "under maintenance" unless an incident makes it worse.

`summarise` is pure; `read` gathers what it needs in five indexed queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, literal_column, select
from sqlalchemy.orm import Session

from hub.atom import FeedEntry
from hub.models import OPEN_STATUSES, Change, Incident, Service

#: States from best to worst, with what the page calls them.
STATES = {"operational": "Operational", "maintenance": "Under maintenance", "degraded": "Degraded performance",
          "partial_outage": "Partial outage", "major_outage": "Major outage"}  # fmt: skip
#: What an open incident of each priority makes its service, whether or not anyone wrote a note.
BY_PRIORITY = {1: "major_outage", 2: "partial_outage"}
#: How long a resolved incident's note stays on the page.
RECENT = timedelta(hours=24)
#: The longest public note, in characters.
MAX_NOTE = 1000
#: Statuses in which an incident still counts against its service: open ones and those waiting on someone.
LIVE = (*OPEN_STATUSES, "waiting")
#: The period each service's uptime covers; a P1 (a major outage) counts as down from its start to its resolution.
UPTIME_PERIOD = timedelta(days=30)
#: How far ahead planned maintenance is announced.
AHEAD = timedelta(days=7)
#: Change states whose window is announced: scheduled, and being carried out.
PLANNED = ("scheduled", "implementing")


@dataclass(frozen=True)
class Affecting:
    """What the page needs of one incident: never its title or description."""

    service: str
    priority: int
    live: bool  # still open (or waiting), not resolved
    started: datetime
    note: str | None
    noted_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Note:
    text: str
    at: datetime
    resolved_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "at": self.at.isoformat(),
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None}  # fmt: skip


@dataclass(frozen=True)
class Window:
    """Planned maintenance of a service: a scheduled change's window, or one being carried out now."""

    service: str
    starts: datetime
    ends: datetime | None  # a change being carried out may have no planned end
    in_progress: bool

    def as_json(self) -> dict[str, Any]:
        return {"starts_at": self.starts.isoformat(), "ends_at": self.ends.isoformat() if self.ends else None,
                "in_progress": self.in_progress}  # fmt: skip


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    description: str
    state: str
    since: datetime | None  # when the oldest incident behind the state began
    notes: tuple[Note, ...]  # newest first
    maintenance: tuple[Window, ...] = ()  # soonest first
    uptime: float = 1.0  # the share of UPTIME_PERIOD without a major outage

    @property
    def label(self) -> str:
        return STATES[self.state]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "state": self.state, "label": self.label,
                "since": self.since.isoformat() if self.since else None,
                "notes": [n.as_json() for n in self.notes],
                "maintenance": [w.as_json() for w in self.maintenance],
                "uptime": round(self.uptime, 6), "uptime_days": UPTIME_PERIOD.days}  # fmt: skip


@dataclass(frozen=True)
class StatusPage:
    services: tuple[ServiceStatus, ...]
    updated_at: datetime

    @property
    def state(self) -> str:
        """The worst state of any service (operational with no services)."""
        order = list(STATES)
        return max((s.state for s in self.services), key=order.index, default="operational")

    @property
    def headline(self) -> str:
        return {"operational": "All systems operational", "maintenance": "Planned maintenance in progress",
                "degraded": "Some systems are running slowly",
                "partial_outage": "Some systems are partly down",
                "major_outage": "Some systems are down"}[self.state]  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "headline": self.headline, "updated_at": self.updated_at.isoformat(),
                "services": [s.as_json() for s in self.services]}  # fmt: skip


def state_of(incident: Affecting) -> str | None:
    """What an open incident makes its service; None when it does not show (a low priority with no note)."""
    if not incident.live:
        return None
    if incident.priority in BY_PRIORITY:
        return BY_PRIORITY[incident.priority]
    return "degraded" if incident.note else None


def availability(outages: Iterable[tuple[datetime, datetime | None]], start: datetime, end: datetime) -> float:
    """The share of [start, end) outside every outage (an outage still open runs to `end`); overlaps count once."""
    spans = sorted((max(a, start), min(b or end, end)) for a, b in outages)
    down, reach = timedelta(0), start
    for begins, ends in spans:
        begins = max(begins, reach)
        if ends > begins:
            down += ends - begins
            reach = ends
    return 1 - down / (end - start)


def summarise(
    services: Sequence[tuple[str, str]], incidents: Iterable[Affecting], now: datetime,
    maintenance: Iterable[Window] = (), outages: Iterable[tuple[str, datetime, datetime | None]] = (),
) -> StatusPage:  # fmt: skip
    """The page for these (name, description) services given the incidents touching them, their planned
    maintenance and their major outages, (service, start, end or None while open)."""
    by_service: dict[str, list[Affecting]] = {name: [] for name, _ in services}
    for incident in incidents:
        if incident.service in by_service:
            by_service[incident.service].append(incident)
    down: dict[str, list[tuple[datetime, datetime | None]]] = {name: [] for name, _ in services}
    for service, begins, ends in outages:
        if service in down:
            down[service].append((begins, ends))
    windows: dict[str, list[Window]] = {name: [] for name, _ in services}
    for window in maintenance:
        if window.service in windows:
            windows[window.service].append(window)
    order = list(STATES)
    found = []
    for name, description in services:
        touching = by_service[name]
        showing = [(state, i) for i in touching if (state := state_of(i)) is not None]
        planned = tuple(sorted(windows[name], key=lambda w: w.starts))
        floor = "maintenance" if any(w.in_progress for w in planned) else "operational"
        state = max((s for s, _ in showing), key=order.index, default=floor)
        since = min((i.started for _, i in showing), default=None)
        notes = sorted(
            (Note(i.note, i.noted_at or i.started, i.resolved_at) for i in touching
             if i.note and (i.live or (i.resolved_at is not None and now - i.resolved_at <= RECENT))),
            key=lambda n: n.at, reverse=True,
        )  # fmt: skip
        uptime = availability(down[name], now - UPTIME_PERIOD, now)
        found.append(ServiceStatus(name, description, state, since, tuple(notes), planned, uptime))
    return StatusPage(tuple(found), now)


def public_services(session: Session | Connection) -> list[str]:
    """The names of the services the page shows, in its order."""
    return list(session.scalars(select(Service.name).where(Service.public.is_(True)).order_by(Service.name)))


def read(
    session: Session | Connection, now: datetime, only: str | None = None, leave_out: int | None = None
) -> StatusPage | None:
    """The status page as of `now` (with `only`, of that one service; without the incident `leave_out`); None when
    no service is public (the installation has no status page) or `only` is not."""
    public = select(Service.name, Service.description).where(Service.public.is_(True)).order_by(Service.name)
    services = session.execute(public.where(Service.name == only) if only is not None else public).all()
    if not services:
        return None
    names = [name for name, _ in services]
    columns = (Incident.service, Incident.priority, Incident.status, Incident.first_seen, Incident.public_note,
               Incident.public_note_at, Incident.resolved_at)  # fmt: skip
    live = select(*columns).where(Incident.status.in_(LIVE), Incident.service.in_(names))
    resolved = select(*columns).where(Incident.public_note.is_not(None), Incident.resolved_at >= now - RECENT,
                                      Incident.service.in_(names), Incident.status.not_in(LIVE))  # fmt: skip
    incidents = []
    for query in (live, resolved):
        for service, priority, status, first_seen, note, noted_at, resolved_at in session.execute(
            query.where(Incident.merged_into_id.is_(None), Incident.id != (leave_out or 0))
        ):
            is_live = status in LIVE
            incidents.append(Affecting(service or "", priority, is_live, first_seen, note, noted_at,
                                       None if is_live else resolved_at))  # fmt: skip
    planned = select(Change.service, Change.state, Change.planned_start, Change.planned_end).where(
        Change.state.in_(PLANNED), Change.service.in_(names)
    )
    windows = [
        Window(service or "", start or now, end, state == "implementing")
        for service, state, start, end in session.execute(planned)
        if state == "implementing" or (start is not None and start <= now + AHEAD and (end is None or end > now))
    ]
    # Major outages overlapping the period: the open P1s read above, and those resolved within it, however long
    # ago they began (the literal `priority = 1` lets SQLite use the partial index).
    ended = select(Incident.service, Incident.first_seen, Incident.resolved_at).where(
        literal_column("priority") == literal_column("1"), Incident.service.in_(names),
        Incident.resolved_at >= now - UPTIME_PERIOD, Incident.status.not_in(LIVE),
        Incident.merged_into_id.is_(None), Incident.id != (leave_out or 0),
    )  # fmt: skip
    outages: list[tuple[str, datetime, datetime | None]] = [
        (i.service, i.started, None) for i in incidents if i.live and i.priority == 1
    ]
    outages += [(service or "", begins, ends) for service, begins, ends in session.execute(ended)]
    return summarise([(n, d or "") for n, d in services], incidents, now, windows, outages)


def known_outage(
    db: Session | Connection, incident_id: int, service: str | None, now: datetime, base_url: str
) -> dict[str, Any] | None:
    """What a requester's acknowledgement says about trouble the status page already shows with the service their
    incident is about (its state, the newest note, the page's address), their own incident left out; None when
    there is none to mention."""
    page = read(db, now, only=service, leave_out=incident_id) if service else None
    if page is None or page.state == "operational":
        return None
    [status] = page.services
    note = next((n.text for n in status.notes if n.resolved_at is None), None)
    return {"service": status.name, "state": status.state, "label": status.label, "note": note,
            "url": f"{base_url}/status"}  # fmt: skip


def feed_entries(page: StatusPage) -> list[FeedEntry]:
    """The page's notes as feed entries, newest first: what people following the status page are told."""
    entries = []
    for service in page.services:
        for note in service.notes:
            said = note.resolved_at or note.at
            title = f"{service.name}: {'resolved' if note.resolved_at else service.label}"
            key = f"{service.name}\x00{note.at.isoformat()}\x00{note.resolved_at is not None}".encode()
            entries.append(FeedEntry(f"urn:switchboard:status:{hashlib.sha256(key).hexdigest()[:32]}", title, said,
                                     note.text))  # fmt: skip
    return sorted(entries, key=lambda e: e.updated, reverse=True)
