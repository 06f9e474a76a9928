"""Heartbeats: a dead man's switch for sources that should never go quiet.

A monitoring tool that is down sends no alerts, which looks exactly like health. A heartbeat is a ping an
integration promises every `interval` (Alertmanager's always-firing Watchdog alert, a backup's cron job): when one
is late, the dispatcher's upkeep raises a critical event under that integration, which the rules route like any
alert; the next ping resolves it. The events are plain `InboundEvent`s with one dedup key per heartbeat, so a
late heartbeat is one incident however many dispatchers notice it. This module stores heartbeats and composes
those events (pure); ingest records them through the intake (ingest/heartbeat_watch.py), and the ping arrives at
`POST /api/v1/heartbeats/<integration>/<name>` (web/heartbeats.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from hub.domain import Action, InboundEvent
from hub.durations import describe_duration, parse_duration
from hub.errors import BadField, BadInput, Missing, refuse_all
from hub.heartbeat_words import MAX_INTERVAL, MIN_INTERVAL
from hub.models import Heartbeat, Integration, utcnow
from hub.names import check_name

_SILENT = (
    "{beat.integration} promised a ping every {every}; the last came at {beat.last_ping_at:%Y-%m-%d %H:%M} UTC. "
    "The source, or its way to Switchboard, may be down. The next ping resolves this incident."
)
#: A heartbeat still silent this long after it was raised (or its interval, if longer) is raised again.
REMIND = timedelta(hours=1)


@dataclass(frozen=True)
class Beat:
    """A heartbeat as the upkeep and the pages need it."""

    id: int
    integration: str
    kind: str
    integration_id: int
    name: str
    interval: timedelta
    last_ping_at: datetime
    missed_at: datetime | None

    @property
    def due_at(self) -> datetime:
        return self.last_ping_at + self.interval

    @property
    def dedup_key(self) -> str:
        return f"heartbeat:{self.name}"


def is_late(beat: Beat, now: datetime) -> bool:
    """Late and not raised yet, or raised at least `again_after` ago and still silent: the upkeep raises it then.
    A repeat while its incident is open is counted on it; if someone resolved the incident while the source was
    still silent, the repeat raises it anew, so a silence is never forgotten until a ping comes."""
    if beat.missed_at is None:
        return now > beat.due_at
    return now >= beat.missed_at + again_after(beat)


def again_after(beat: Beat) -> timedelta:
    """How long a still silent heartbeat waits before it is raised again: its interval, and at least REMIND."""
    return max(beat.interval, REMIND)


def missed_event(beat: Beat, now: datetime) -> InboundEvent:
    """The alert a late heartbeat raises (the rules may route it by `labels.heartbeat`)."""
    quiet = describe_duration(timedelta(seconds=int((now - beat.last_ping_at).total_seconds()) // 60 * 60))
    return InboundEvent(
        source=beat.kind,
        title=f"Heartbeat {beat.name} from {beat.integration} missed: no ping for {quiet}",
        description=_SILENT.format(beat=beat, every=describe_duration(beat.interval)),
        severity="critical",
        dedup_key=beat.dedup_key,
        labels=MappingProxyType({"heartbeat": beat.name, "integration": beat.integration}),
        integration=beat.integration,
    )


def back_event(beat: Beat) -> InboundEvent:
    """The resolve a ping after a miss sends to the heartbeat's incident."""
    return InboundEvent(source=beat.kind, title=f"Heartbeat {beat.name} from {beat.integration} is back",
                        dedup_key=beat.dedup_key, action=Action.RESOLVE, integration=beat.integration,
                        labels=MappingProxyType({"heartbeat": beat.name, "integration": beat.integration}))  # fmt: skip


def parse_interval(text: str) -> timedelta:
    interval = parse_duration(text)
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise BadInput(f"a heartbeat comes every {describe_duration(MIN_INTERVAL)} to {MAX_INTERVAL.days} d")
    return interval


def _integration(session: Session | Connection, name: str) -> tuple[int, str]:
    found = session.execute(select(Integration.id, Integration.kind).where(Integration.name == name)).first()
    if found is None:
        raise Missing(f"there is no integration {name!r}; `switchboard integration create` makes one")
    return found[0], found[1]


def add(session: Session, integration: str, name: str, every: str) -> Beat:
    """Expect a ping from `integration` every `every`; counting starts now, so one that never comes alarms. A
    mistyped name or interval is a BadField (`name`, `every`), both at once when both are."""
    integration_id, _ = _integration(session, integration)
    wrong: list[BadField] = []
    try:
        name = check_name(name, "heartbeat", "watchdog")
    except BadInput as exc:
        wrong.append(BadField("name", str(exc)))
    try:
        interval = parse_interval(every)
    except BadInput as exc:
        wrong.append(BadField("every", str(exc)))
    refuse_all(wrong)
    if session.scalar(select(Heartbeat.id).where(Heartbeat.integration_id == integration_id, Heartbeat.name == name)):
        raise BadInput(f"{integration} has a heartbeat {name!r} already; remove it first to change it")
    session.add(Heartbeat(integration_id=integration_id, name=name, interval=int(interval.total_seconds())))
    session.flush()
    return find(session, integration, name)


def remove(session: Session, integration: str, name: str) -> None:
    beat = find(session, integration, name)
    session.execute(delete(Heartbeat).where(Heartbeat.id == beat.id))


_BEATS = select(
    Heartbeat.id, Integration.name, Integration.kind, Integration.id, Heartbeat.name, Heartbeat.interval,
    Heartbeat.last_ping_at, Heartbeat.missed_at,
).join(Integration, Integration.id == Heartbeat.integration_id)  # fmt: skip


def _beat(row: tuple) -> Beat:  # type: ignore[type-arg]
    id_, integration, kind, integration_id, name, interval, last, missed = row
    return Beat(id_, integration, kind, integration_id, name, timedelta(seconds=interval), last, missed)


def find(db: Session | Connection, integration: str, name: str) -> Beat:
    row = db.execute(_BEATS.where(Integration.name == integration, Heartbeat.name == name)).first()
    if row is None:
        raise Missing(f"{integration} has no heartbeat {name!r}; `switchboard heartbeat add` makes one")
    return _beat(tuple(row))


def listing(db: Session | Connection, integration: str | None = None) -> list[Beat]:
    query = _BEATS if integration is None else _BEATS.where(Integration.name == integration)
    return [_beat(tuple(row)) for row in db.execute(query.order_by(Integration.name, Heartbeat.name))]


def late(db: Session | Connection, now: datetime) -> list[Beat]:
    """Heartbeats to raise now, as `is_late` says (few rows: read them all and test each)."""
    return [beat for beat in listing(db) if is_late(beat, now)]


def ping(session: Session, beat: Beat, now: datetime | None = None) -> Beat:
    """Record a ping: the heartbeat is due again `interval` from now, and no longer missed."""
    now = now or utcnow()
    session.execute(update(Heartbeat).where(Heartbeat.id == beat.id).values(last_ping_at=now, missed_at=None))
    return replace(beat, last_ping_at=now, missed_at=None)


def mark_missed(db: Session | Connection, beat: Beat, now: datetime) -> bool:
    """Note that the late heartbeat's incident was raised; False when a ping came meanwhile (the caller then
    resolves what it raised)."""
    marked = db.execute(
        update(Heartbeat)
        .where(Heartbeat.id == beat.id, Heartbeat.last_ping_at == beat.last_ping_at)
        .values(missed_at=now)
        .returning(Heartbeat.id)
    )
    return marked.first() is not None
