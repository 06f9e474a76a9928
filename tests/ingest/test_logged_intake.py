"""An incident logged by a person or a token is checked inside the intake's write (`guard`), and a refusal refuses
that incident alone, even when the group commit shares its transaction with other requests' events."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, select

from hub.db import Database
from hub.intake import Intake
from hub.models import Event, Incident
from ingest.logged_intake import log_incident


class Refused(Exception):
    pass


def refuse(conn: Connection) -> None:
    raise Refused("no longer an agent")


def titles(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(Incident.title)))


def events(db: Database) -> int:
    with db.read() as session:
        return len(session.scalars(select(Event.id)).all())


def test_a_guard_that_passes_lets_the_incident_be_logged(intake: Intake, db: Database) -> None:
    outcome = log_incident(intake, {"title": "Cannot print"}, by="ann@example.com", guard=lambda conn: None)
    assert outcome.created and titles(db) == {"Cannot print"}


def test_a_guard_that_refuses_stores_neither_the_event_nor_an_incident(intake: Intake, db: Database) -> None:
    with pytest.raises(Refused):
        log_incident(intake, {"title": "Cannot print"}, by="ann@example.com", guard=refuse)
    assert titles(db) == set() and events(db) == 0


def test_a_refusal_in_a_shared_transaction_refuses_only_its_own_incident(intake: Intake, db: Database) -> None:
    release, holding = threading.Event(), threading.Event()

    def held(conn: Connection) -> None:  # keeps the first commit busy so the next two queue into one batch
        holding.set()
        release.wait(5)

    def queued(count: int) -> None:
        deadline = time.monotonic() + 5
        while len(intake._committer._pending) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(log_incident, intake, {"title": "First"}, by="ann@example.com", guard=held)
        assert holding.wait(5)
        plain = pool.submit(log_incident, intake, {"title": "Unguarded"}, by="bob@example.com")
        queued(1)
        refused = pool.submit(log_incident, intake, {"title": "Refused"}, by="cat@example.com", guard=refuse)
        queued(2)
        release.set()
        assert first.result(10).created and plain.result(10).created
        with pytest.raises(Refused):
            refused.result(10)
    assert titles(db) == {"First", "Unguarded"}
