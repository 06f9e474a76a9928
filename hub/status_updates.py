"""Mail the status page's changes to its subscribers (hub/status_subscriptions.py): a chore of the dispatcher's upkeep.

Each round reads the page (hub/status_page.py) and compares each public service with what subscribers were last
told (a StatusSnapshot row). A difference worth telling becomes one mail per subscriber, however many services
changed: a new state (an outage begins, worsens or ends; maintenance begins or ends), a new or resolved public
note, or newly planned maintenance. The snapshot is updated compare-and-set in the transaction that owes the mails,
so one change is one mail however many dispatchers run. A service seen for the first time (just made public) is
noted without a mail: subscribers hear of changes, not of the page's first state.

`seen` and `what_changed` are pure; `announce` reads and writes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import Connection, delete, select, update

from hub import notices, status_page, status_subscriptions
from hub.db import Database, insert_new
from hub.models import StatusSnapshot, utcnow
from hub.outbox import outbox_row
from hub.recipients import Sender
from hub.statements import INSERT_OUTBOX
from hub.status_page import ServiceStatus, Window
from hub.zones import to_local, zone_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Seen:
    """What subscribers were told of one service: its state, the notes shown (by when written, and whether
    resolved), and the maintenance windows announced."""

    state: str
    notes: tuple[tuple[str, bool], ...]
    windows: tuple[tuple[str, str | None], ...]

    def as_text(self) -> str:
        return json.dumps({"state": self.state, "notes": self.notes, "windows": self.windows})

    @classmethod
    def from_text(cls, text: str) -> Seen:
        found = json.loads(text)
        return cls(found["state"], tuple((at, bool(done)) for at, done in found["notes"]),
                   tuple((starts, ends) for starts, ends in found["windows"]))  # fmt: skip


@dataclass(frozen=True)
class Update:
    """What one update mail says of one service."""

    service: str
    state: str
    label: str
    was: str  # the label subscribers were last told
    note: str | None  # the newest note, when it is what changed
    planned: tuple[str, ...]  # maintenance windows newly announced, as the mail says them

    @property
    def headline(self) -> str:
        if self.state != "operational" and self.was != self.label:
            return f"{self.service}: {self.label}"
        if self.was != self.label:
            return f"{self.service}: {self.label} again"
        if self.planned:
            return f"{self.service}: planned maintenance"
        return f"{self.service}: update"

    def as_fact(self) -> dict[str, object]:
        return {"service": self.service, "state": self.state, "label": self.label, "was": self.was,
                "note": self.note, "planned": list(self.planned), "headline": self.headline}  # fmt: skip


def seen(service: ServiceStatus) -> Seen:
    """What telling subscribers about `service` now would tell them."""
    notes = tuple((n.at.isoformat(), n.resolved_at is not None) for n in service.notes)
    return Seen(service.state, notes, tuple(_window_key(w) for w in service.maintenance))


def _window_key(window: Window) -> tuple[str, str | None]:
    return window.starts.isoformat(), window.ends.isoformat() if window.ends else None


def _window_text(window: Window, zone: tzinfo) -> str:
    """A maintenance window as a mail says it, in `zone`: `Tue 2026-12-01 22:00 to 23:30 UTC`; the start's zone is
    said too when the clocks change in between (`01:00 CEST to 04:00 CET`)."""
    starts = to_local(window.starts, zone)
    if window.ends is None:
        return f"from {starts:%a %Y-%m-%d %H:%M %Z}"
    ends = to_local(window.ends, zone)
    begin = f"{starts:%a %Y-%m-%d %H:%M}" + ("" if starts.tzname() == ends.tzname() else f" {starts:%Z}")
    return f"{begin} to {ends:%H:%M %Z}" if ends.date() == starts.date() else f"{begin} to {ends:%a %Y-%m-%d %H:%M %Z}"


def what_changed(before: Seen, service: ServiceStatus, zone: tzinfo = UTC) -> Update | None:
    """The update subscribers are owed for `service`, told `before`, its times in `zone` (the installation's);
    None when nothing they would care about changed (a note that aged off the page, a maintenance window that
    began, which the state already says)."""
    told_notes, told_windows = set(before.notes), set(before.windows)
    fresh = [n for n in service.notes if (n.at.isoformat(), n.resolved_at is not None) not in told_notes]
    planned = tuple(_window_text(w, zone) for w in service.maintenance
                    if not w.in_progress and _window_key(w) not in told_windows)  # fmt: skip
    if service.state == before.state and not fresh and not planned:
        return None
    note = fresh[0].text if fresh else None  # notes are newest first
    return Update(service.name, service.state, service.label, status_page.STATES.get(before.state, before.state),
                  note, planned)  # fmt: skip


def announce(db: Database, sender: Sender, now: datetime | None = None) -> int:
    """Owe each confirmed subscriber one mail with what changed on the status page, of the services they chose,
    since they were last told; returns how many mails. The page and what was told are read first, outside the write
    lock, and a write transaction is taken only when something changed (the compare-and-set keeps that safe), so a
    quiet round costs the dispatcher reads alone. Without a secret key (no way to sign the mail's unsubscribe link)
    nothing is sent."""
    now = now or utcnow()
    if not sender.secret_key:
        return 0
    with db.read() as session:
        conn = session.connection()
        to_forget = status_subscriptions.any_to_forget(conn, now)
        page = status_page.read(session, now)
        told = {name: text for name, text in conn.execute(select(StatusSnapshot.service, StatusSnapshot.seen))}
    if to_forget:
        with db.transaction() as session:
            status_subscriptions.forget_unconfirmed(session.connection(), now)
    shown = page.services if page is not None else ()
    # A service made private is forgotten: made public again, it starts afresh rather than from old news.
    gone = [name for name in told if name not in {s.name for s in shown}]
    changed = [s for s in shown if s.name not in told or Seen.from_text(told[s.name]) != seen(s)]
    if not gone and not changed:
        return 0
    rows: list[dict] = []
    zone = zone_of(sender.timezone)  # subscribers have no account: the installation's zone
    with db.transaction() as session:
        conn = session.connection()
        if gone:
            conn.execute(delete(StatusSnapshot).where(StatusSnapshot.service.in_(gone)))
        updates = []
        for service in changed:
            text = told.get(service.name)
            if not _first_to_note(conn, service.name, text, seen(service), now):
                continue  # another dispatcher told them first
            if text is not None and (found := what_changed(Seen.from_text(text), service, zone)) is not None:
                updates.append(found)
        for subscriber_id, address, services in status_subscriptions.confirmed(conn, now) if updates else ():
            theirs = [u.as_fact() for u in updates if services is None or u.service in services]
            if not theirs:
                continue
            leave = status_subscriptions.leave_url(sender, subscriber_id, address, now)
            notice = notices.status_update(recipient=address, updates=theirs, leave_url=leave,
                                           desk_address=sender.desk_address, base_url=sender.base_url,
                                           templates=sender.templates)  # fmt: skip
            rows.append(outbox_row(None, notice))
        if rows:
            INSERT_OUTBOX.execute_many(conn, rows)
    if rows:
        log.info("told %d subscriber(s) of the status page's changes: %s", len(rows),
                 "; ".join(u.headline for u in updates))  # fmt: skip
    return len(rows)


def _first_to_note(conn: Connection, service: str, before: str | None, after: Seen, now: datetime) -> bool:
    """Record `after` as told for `service` if what is recorded is still `before` (the stored text; None: nothing);
    False when another dispatcher recorded something first (it tells the subscribers, not this one)."""
    if before is None:
        made = insert_new(conn, StatusSnapshot, StatusSnapshot.service, service=service, seen=after.as_text(),
                          updated_at=now)  # fmt: skip
        return made is not None
    moved = conn.execute(
        update(StatusSnapshot)
        .where(StatusSnapshot.service == service, StatusSnapshot.seen == before)
        .values(seen=after.as_text(), updated_at=now)
    )
    return moved.rowcount == 1
