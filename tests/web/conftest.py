"""Fixtures for the web app: a fresh app per test on its own SQLite file, with CSRF protection left ON."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.serving import make_server

from hub import accounts
from hub.config import Settings
from hub.db import Database
from tests.conftest import make_settings
from tests.web.helpers import Login, log_in, post_event
from web import create_app
from web.services import services

PASSWORD = "correct horse battery"


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per test session instead of once per test's fresh app: Jinja keys each by its name
    and source, so a changed template is compiled afresh. A page's first render in a new app cost it 20 to 90 ms of
    compiling, over a thousand times a run."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = CompiledTemplates()


@dataclass(frozen=True)
class IntegrationCredentials:
    name: str
    secret: str


@contextmanager
def app_on(settings: Settings, db: Database) -> Iterator[Flask]:
    """A test app on `settings`, its services closed after: the `app` fixture's, and a fixture's whose settings
    differ (two-factor required of a role...)."""
    app = create_app(settings, db=db)
    app.config["TESTING"] = True  # CSRF stays enabled: tests fetch the form and send its token
    app.jinja_env.bytecode_cache = TEMPLATES
    yield app
    with app.app_context():
        services().close()


@pytest.fixture
def app(settings: Settings, db: Database) -> Iterator[Flask]:
    with app_on(settings, db) as app:
        yield app


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port, in a background thread (for browsers and tools)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)  # the system picks the port as it binds: none to lose
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def counting_client(settings: Settings, db: Database, redis_url: str) -> FlaskClient:
    """A browser on an app with Redis, where limits (failed logins and passwords, forms) are counted."""
    return create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()


@pytest.fixture
def app_client_pair(app: Flask) -> tuple[FlaskClient, FlaskClient]:
    """Two browsers on one app: one person acting, another affected (each with its own cookies)."""
    return app.test_client(), app.test_client()


@pytest.fixture
def integration(db: Database) -> IntegrationCredentials:
    with db.transaction() as session:
        row, secret = accounts.create_integration(session, name="monitoring")
        return IntegrationCredentials(row.name, secret)


@pytest.fixture
def api_token(db: Database) -> str:
    with db.transaction() as session:
        return accounts.create_token(session, name="dashboard", role="viewer")


@pytest.fixture
def agent_token(db: Database) -> str:
    """An API token with the agent role, named as a chat-ops bot would be."""
    with db.transaction() as session:
        return accounts.create_token(session, name="chatops", role="agent")


@pytest.fixture
def make_user(db: Database) -> Callable[..., Login]:
    def make(email: str = "agent@example.com", role: str = "agent") -> Login:
        with db.transaction() as session:
            accounts.create_user(session, email=email, password=PASSWORD, role=role)
        return Login(email, PASSWORD)

    return make


@pytest.fixture
def user(make_user: Callable[..., Login]) -> Login:
    return make_user()


@pytest.fixture
def logged_in(client: FlaskClient, user: Login) -> FlaskClient:
    """A client with a logged-in agent's session cookie."""
    response = log_in(client, user)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def raise_incident(client: FlaskClient, integration: IntegrationCredentials) -> Callable[..., str]:
    """Open an incident through the events API and return its ref."""

    def raise_(title: str = "Disk full on db1", **fields: object) -> str:
        response = post_event(client, integration.name, integration.secret, {"title": title, **fields})
        assert response.status_code == 202, response.get_data(as_text=True)
        ref: str = response.json["incident"]  # type: ignore[index]
        return ref

    return raise_


@pytest.fixture
def steady_limit_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits count in fixed windows; a test must not straddle a window's edge, so the limiter's clock stands still
    mid-window (only the clock: the counting is the real Redis)."""
    import time as real_time
    from types import SimpleNamespace

    frozen = (real_time.time() // 3600) * 3600 + 1800 + 30
    monkeypatch.setattr("web.ratelimit.time", SimpleNamespace(time=lambda: frozen))
