"""Credentials: integration secrets checked against digests, with a short per-process memory; the last admin."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from hub.accounts import IntegrationKeys, change_user, create_integration, create_user
from hub.db import Database
from hub.errors import LastAdmin
from hub.models import Integration, User


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
