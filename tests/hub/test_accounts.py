"""Credentials: integration secrets checked against digests, with a short per-process memory; the last admin."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text, update

from hub.accounts import LAST_EVENTS, IntegrationKeys, change_user, create_integration, create_user, last_events
from hub.db import Database
from hub.errors import LastAdmin
from hub.models import Event, Integration, User, utcnow
from tests.plans import plan


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(db: Database, name: str = "prom") -> tuple[int, str]:
    with db.transaction() as s:
        row, secret = create_integration(s, name=name)
        return row.id, secret


def test_right_secret_gives_the_integration_and_wrong_or_unknown_gives_none(db: Database) -> None:
    integration_id, secret = make(db)
    keys = IntegrationKeys(db)
    found = keys.authenticate("prom", secret)
    assert found is not None and (found.id, found.name, found.kind) == (integration_id, "prom", "generic")
    assert keys.by_secret(secret) == found and keys.by_secret(secret + "x") is None
    assert keys.authenticate("prom", secret + "x") is None
    assert keys.authenticate("nosuch", secret) is None


def test_disabling_takes_effect_once_the_cached_entry_expires(db: Database) -> None:
    _, secret = make(db)
    clock = Clock()
    keys = IntegrationKeys(db, ttl=1.0, clock=clock)
    assert keys.authenticate("prom", secret) is not None
    with db.transaction() as s:
        s.execute(update(Integration).values(enabled=False))
    clock.now += 0.5
    assert keys.authenticate("prom", secret) is not None  # still within the second it is kept
    clock.now += 0.6
    assert keys.authenticate("prom", secret) is None


def test_unknown_names_are_not_kept(db: Database) -> None:
    keys = IntegrationKeys(db)
    for i in range(100):
        keys.authenticate(f"random-{i}", "x")
    assert keys._by_name == {}


def test_two_admins_demoting_each_other_at_once_leave_one_admin(database: Database) -> None:
    """On PostgreSQL both transactions could count two admins before either commits; the rows are locked so the
    second counts again after the first. (SQLite takes writers one at a time.)"""
    with database.transaction() as s:
        for email in ("ann@example.com", "bob@example.com"):
            create_user(s, email=email, password="a long password", role="admin")
    first_counted = threading.Event()

    def demote_ann() -> None:
        with database.transaction() as s:
            change_user(s, "ann@example.com", role="agent")
            first_counted.set()
            threading.Event().wait(0.5)  # the transaction stays open while Bob is demoted

    thread = threading.Thread(target=demote_ann)
    thread.start()
    assert first_counted.wait(10)
    with pytest.raises(LastAdmin), database.transaction() as s:
        change_user(s, "bob@example.com", role="agent")
    thread.join(10)
    with database.read() as s:
        assert s.scalar(select(func.count()).where(User.role == "admin", User.active.is_(True))) == 1


def _events(db: Database, integration_id: int | None, count: int, latest: object) -> None:
    rows = [{"source": "generic", "integration_id": integration_id, "received_at": latest - timedelta(minutes=n),
             "content_type": "application/json", "raw": b"{}"} for n in range(count)]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(Event), rows)


def test_each_integration_s_last_event_is_its_latest_and_none_for_one_never_heard_from(db: Database) -> None:
    prom, _ = make(db, "prom")
    quiet, _ = make(db, "quiet")
    now = utcnow().replace(microsecond=0)
    _events(db, prom, 3, now)
    _events(db, None, 2, now + timedelta(hours=1))  # email: no integration
    with db.read() as session:
        found = last_events(session)
    assert found == {prom: now, quiet: None}


def test_each_integration_s_last_event_is_read_through_the_index_not_every_event(db: Database) -> None:
    """The integrations page: a GROUP BY over a million events took 540 ms (bench/pages_at_scale.py)."""
    prom, _ = make(db, "prom")
    _events(db, prom, 2000, utcnow())
    if db.engine.dialect.name == "postgresql":
        with db.transaction() as session:
            session.execute(text("ANALYZE events"))
    found = plan(db, LAST_EVENTS)
    assert "ix_events_integration_received" in found, found
    assert "SCAN events" not in found and "Seq Scan on events" not in found, found
