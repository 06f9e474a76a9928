"""The web app on PostgreSQL, where it differs from SQLite: real races between requests, and a narrower INTEGER.

Two web processes really do race: both look, find nothing, and insert; the unique index lets one win. The
loser's whole transaction is rolled back, and the answer says so instead of a bare 500. And events, one per
inbound item, need ids past PostgreSQL's 32-bit INTEGER. (Every page and route is swept on both databases by
test_links.py and test_query_strings.py.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text
from werkzeug.test import TestResponse

from hub import accounts
from hub.db import Database
from hub.models import AuditEntry, User
from tests.conftest import make_settings
from tests.servers import PostgresCluster
from tests.web.helpers import Login, csrf_token, log_in
from web import create_app
from web.services import services

pytestmark = pytest.mark.postgres
ADMIN = Login("admin@example.com", "correct horse battery")


@pytest.fixture
def pg_app(postgres: PostgresCluster, postgres_schema: str, tmp_path: Path) -> Iterator[tuple[Flask, Database, str]]:
    url = postgres.create_database(f"conflicts_{time.monotonic_ns()}", template=postgres_schema)
    db = Database.connect(url, timeout=10)
    with db.transaction() as session:
        accounts.create_user(session, email=ADMIN.email, password=ADMIN.password, role="admin")
    app = create_app(make_settings(tmp_path / "var", database_url=url), db=db)
    app.config["TESTING"] = True
    yield app, db, url
    with app.app_context():
        services().close()
    db.dispose()


def waiting_on_a_lock(url: str) -> bool:
    """Whether some session of this database is blocked on a lock another holds."""
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()
    return bool(row and row[0])


def test_a_user_created_twice_at_the_same_moment_tells_the_loser_nothing_was_saved(
    pg_app: tuple[Flask, Database, str],
) -> None:
    app, db, url = pg_app
    client: FlaskClient = app.test_client()
    log_in(client, ADMIN)
    form = {"email": "ann@example.com", "password": "long enough", "role": "agent",
            "csrf_token": csrf_token(client.get("/users").get_data(as_text=True))}  # fmt: skip
    answers: list[TestResponse] = []
    with db.engine.connect() as other:  # another process: it has inserted Ann, and not committed yet
        other.execute(insert(User).values(email="ann@example.com", password_hash="x", role="viewer"))
        request = threading.Thread(target=lambda: answers.append(client.post("/users", data=form)))
        request.start()
        deadline = time.monotonic() + 10
        while not waiting_on_a_lock(url):  # the form's INSERT waits for the other transaction's outcome
            assert time.monotonic() < deadline and request.is_alive(), "the form never reached its INSERT"
            time.sleep(0.05)
        other.commit()
    request.join(10)

    [answer] = answers
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "nothing of this request was saved" in page
    with db.read() as session:
        assert session.scalars(select(User.role).where(User.email == "ann@example.com")).all() == ["viewer"]
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create")) is None


def test_events_are_numbered_past_32_bits_and_found_by_their_id(pg_app: tuple[Flask, Database, str]) -> None:
    """Every inbound item is an event: a busy hub uses up 2**31 ids, so events have 64-bit ones (migration 0004)."""
    app, db, _ = pg_app
    with db.engine.begin() as conn:
        conn.execute(text("SELECT setval('events_id_seq', 3000000000)"))
    with db.transaction() as session:
        secret = accounts.create_integration(session, name="prom")[1]
        token = accounts.create_token(session, name="ops", role="admin")
    client = app.test_client()
    posted = client.post(
        "/api/v1/events/prom", json={"title": "Disk full"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert posted.status_code == 202 and posted.get_json()["event_id"] == 3000000001
    found = client.get("/api/v1/events/3000000001", headers={"Authorization": f"Bearer {token}"})
    assert found.status_code == 200 and found.get_json()["incident"] == posted.get_json()["incident"]
