"""Per-integration rate limits, counted in a real Redis shared by every web process."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub import accounts
from hub.accounts import IntegrationRef
from hub.config import Settings
from hub.db import Database
from hub.models import Event
from tests.conftest import make_settings
from tests.web.helpers import post_event
from web import create_app
from web.ratelimit import retry_after

ALERT = {"title": "Disk full", "dedup_key": "disk"}


def client_for(settings: Settings, db: Database, redis_url: str) -> FlaskClient:
    return create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()


@pytest.fixture(autouse=True)
def _steady(steady_limit_clock: None) -> None:
    """Every test here counts in one window."""


@pytest.fixture
def limited_secret(db: Database) -> str:
    with db.transaction() as session:
        return accounts.create_integration(session, name="noisy", rate_limit=3)[1]


def test_requests_over_the_limit_get_429_with_retry_after_and_store_nothing(
    settings: Settings, db: Database, redis_url: str, limited_secret: str
) -> None:
    client = client_for(settings, db, redis_url)
    codes = [post_event(client, "noisy", limited_secret, ALERT).status_code for _ in range(5)]
    assert codes == [202, 202, 202, 429, 429]
    refused = post_event(client, "noisy", limited_secret, ALERT)
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60 and "3 requests per minute" in refused.json["error"]
    assert f"retry after {wait} seconds" in refused.json["error"]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 3


def test_two_web_processes_share_one_count(
    settings: Settings, db: Database, redis_url: str, limited_secret: str
) -> None:
    first, second = client_for(settings, db, redis_url), client_for(settings, db, redis_url)
    codes = [post_event(c, "noisy", limited_secret, ALERT).status_code for c in (first, second, first, second)]
    assert codes == [202, 202, 202, 429]


def test_unlimited_integrations_never_touch_redis(settings: Settings, db: Database, closed_port: int) -> None:
    with db.transaction() as session:
        secret = accounts.create_integration(session, name="calm")[1]
    client = client_for(settings, db, f"redis://127.0.0.1:{closed_port}/0")  # nothing listens there
    assert all(post_event(client, "calm", secret, ALERT).status_code == 202 for _ in range(5))


def test_limit_is_not_enforced_but_alerts_flow_when_redis_is_down(closed_port: int) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    unreachable = redis.Redis(port=closed_port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    assert retry_after(unreachable, IntegrationRef(1, "noisy", "generic", rate_limit=1)) is None


def test_the_window_resets_after_a_minute(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    ref = IntegrationRef(7, "noisy", "generic", rate_limit=1)
    assert retry_after(client, ref, now=120.0) is None
    assert retry_after(client, ref, now=150.0) == 30
    assert retry_after(client, ref, now=180.0) is None


def test_after_five_failed_logins_the_address_must_wait_even_with_the_right_password(
    settings: Settings, db: Database, redis_url: str
) -> None:
    from tests.web.helpers import Login, log_in

    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="the right one", role="agent")
    client = client_for(settings, db, redis_url)
    for _ in range(5):
        assert log_in(client, Login("ann@example.com", "wrong guess")).status_code == 200
    locked = log_in(client, Login("ann@example.com", "the right one"))
    assert locked.status_code == 429 and "Too many failed attempts" in locked.get_data(as_text=True)
    other = log_in(client_for(settings, db, redis_url), Login("bob@example.com", "anything"))
    assert other.status_code == 200  # other addresses are not locked out


def test_login_lock_lifts_when_its_window_ends(redis_url: str) -> None:
    import redis

    from web.ratelimit import LOGIN_PER_EMAIL, LOGIN_WINDOW, login_failed, login_locked

    client = redis.Redis.from_url(redis_url)
    start = 900.0 * 10
    for _ in range(LOGIN_PER_EMAIL):
        login_failed(client, "ann@example.com", "10.0.0.7", now=start)
    assert login_locked(client, "Ann@Example.com", "10.0.0.8", now=start + 60) == LOGIN_WINDOW - 60
    assert login_locked(client, "ann@example.com", "10.0.0.8", now=start + LOGIN_WINDOW) is None


def test_one_client_failing_on_many_addresses_is_stopped_though_no_address_reached_its_limit(
    settings: Settings, db: Database, redis_url: str
) -> None:
    """Password spraying: one guess at each of many addresses. Each address stays under its own limit; the client
    that made every guess does not, and then not even a right password gets in from it. Others are not held up."""
    from tests.web.helpers import Login, log_in
    from web.ratelimit import LOGIN_PER_CLIENT

    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="the right one", role="agent")
    sprayer, colleague = client_for(settings, db, redis_url), client_for(settings, db, redis_url)
    sprayer.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    colleague.environ_base["REMOTE_ADDR"] = "10.0.0.8"
    for n in range(LOGIN_PER_CLIENT.limit):
        assert log_in(sprayer, Login(f"user{n}@example.com", "Winter2026!")).status_code == 200
    locked = log_in(sprayer, Login("ann@example.com", "the right one"))
    assert locked.status_code == 429 and "Too many failed attempts" in locked.get_data(as_text=True)
    assert log_in(colleague, Login("ann@example.com", "the right one")).status_code == 302


def test_behind_a_proxy_nobody_declared_one_clients_failures_do_not_lock_out_everyone_else(
    settings: Settings, db: Database, redis_url: str
) -> None:
    """Without SWITCHBOARD_TRUSTED_PROXIES every client seems to be the proxy: counting them as one would let
    fifty wrong passwords from anyone lock every user out. Only the per-address limit holds there."""
    from tests.web.helpers import Login, log_in
    from web.ratelimit import LOGIN_PER_CLIENT

    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="the right one", role="agent")
    client = client_for(settings, db, redis_url)
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    for n in range(LOGIN_PER_CLIENT.limit):
        assert log_in(client, Login(f"user{n}@example.com", "Winter2026!")).status_code == 200
    assert log_in(client, Login("ann@example.com", "the right one")).status_code == 302
