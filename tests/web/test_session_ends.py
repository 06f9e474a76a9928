"""A logout ends every copy of the session cookie, and "Log out everywhere else" every other session of the person
(web/session_ends.py): marks in a real Redis, asked on each request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from hub.audit import recent
from hub.config import Settings
from hub.db import Database
from hub.net import free_port
from tests.conftest import make_settings
from tests.web.helpers import Login, csrf_token, log_in
from web import create_app
from web.services import services
from web.session_ends import SESSION_ID

COOKIE = "switchboard_session"


@pytest.fixture(name="settings")
def settings_with_redis(tmp_path: Path, redis_url: str) -> Settings:
    return make_settings(tmp_path / "var", redis_url=redis_url, session_max_age=3600)


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie, as a thief or a shared machine would."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(COOKIE, cookie.value)
    return other


def logged_in_now(client: FlaskClient) -> bool:
    return client.get("/incidents").status_code == 200


def log_out(client: FlaskClient) -> None:
    token = csrf_token(client.get("/incidents").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def end_others(client: FlaskClient) -> None:
    token = csrf_token(client.get("/account").get_data(as_text=True))
    answer = client.post("/account/sessions/end-others", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/account#sessions")


def test_a_copy_of_the_session_cookie_is_refused_once_it_logged_out(app: Flask, logged_in: FlaskClient) -> None:
    copy = copy_of(app, logged_in)
    assert logged_in_now(copy)
    log_out(logged_in)
    refused = copy.get("/incidents", follow_redirects=True)
    assert refused.request.path == "/login" and "This session was logged out" in refused.get_data(as_text=True)


def test_the_logout_mark_lasts_the_sessions_remaining_max_age(logged_in: FlaskClient, redis_url: str) -> None:
    log_out(logged_in)
    store = redis.Redis.from_url(redis_url)
    [mark] = store.keys("switchboard:session:ended:*")
    assert 3500 < store.ttl(mark) <= 3600
    store.close()


def test_another_login_of_the_same_person_stays_after_a_logout(app: Flask, logged_in: FlaskClient, user: Login) -> None:
    other = app.test_client()
    log_in(other, user)
    log_out(logged_in)
    assert logged_in_now(other)


def test_a_session_from_before_ids_goes_on_until_its_max_age(app: Flask, logged_in: FlaskClient) -> None:
    with logged_in.session_transaction() as session:
        del session[SESSION_ID]
    copy = copy_of(app, logged_in)
    log_out(logged_in)
    assert logged_in_now(copy)


def test_while_redis_does_not_answer_sessions_are_let_through_and_logging_out_works(
    tmp_path: Path, db: Database, user: Login
) -> None:
    app = create_app(make_settings(tmp_path / "down", redis_url=f"redis://127.0.0.1:{free_port()}/0"), db=db)
    client = app.test_client()
    log_in(client, user)
    assert logged_in_now(client)
    log_out(client)
    assert not logged_in_now(client)
    with app.app_context():
        services().close()


def test_logging_out_everywhere_else_ends_other_browsers_and_copies_and_keeps_this_one(
    app: Flask, logged_in: FlaskClient, user: Login, db: Database
) -> None:
    elsewhere, copy = app.test_client(), copy_of(app, logged_in)
    log_in(elsewhere, user)
    end_others(logged_in)
    refused = elsewhere.get("/incidents", follow_redirects=True)
    assert "You logged out everywhere else" in refused.get_data(as_text=True)
    assert logged_in_now(logged_in) and not logged_in_now(copy)
    with db.read() as session:
        assert [entry.action for entry in recent(session, limit=1)] == ["user.logout_others"]


def test_a_login_after_logging_out_everywhere_else_stays(app: Flask, logged_in: FlaskClient, user: Login) -> None:
    end_others(logged_in)
    later = app.test_client()
    log_in(later, user)
    assert logged_in_now(later)


def test_logging_out_everywhere_else_leaves_other_people_logged_in(
    app: Flask, logged_in: FlaskClient, make_user: Callable[..., Login]
) -> None:
    someone = app.test_client()
    log_in(someone, make_user("other@example.com"))
    end_others(logged_in)
    assert logged_in_now(someone)
