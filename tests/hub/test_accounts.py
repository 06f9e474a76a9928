"""Credentials: integration secrets checked against digests, with a short per-process memory."""

from __future__ import annotations

from sqlalchemy import update

from hub.accounts import IntegrationKeys, create_integration
from hub.db import Database
from hub.models import Integration


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
