"""Logging in and out of the web UI: CSRF-protected forms, generic errors, safe redirects, live sessions."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from hub.accounts import FIRST_ADMIN_COMMAND
from hub.db import Database
from hub.models import User
from tests.conftest import make_settings
from tests.web.helpers import Login, csrf_token, log_in
from web import create_app
from web.auth import LOGGED_IN_AT

GENERIC_ERROR = "Wrong email or password."


def test_login_page_carries_a_csrf_token_and_sets_a_session_cookie(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert csrf_token(response.get_data(as_text=True))
    assert "switchboard_session=" in response.headers["Set-Cookie"]


def test_login_page_tells_how_to_create_the_first_admin_while_no_one_has_an_account(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "No one has an account yet. Create the first admin on the server" in page
    assert f"<code>{escape(FIRST_ADMIN_COMMAND)}</code>" in page


def test_login_page_says_nothing_of_a_first_admin_once_a_user_exists(client: FlaskClient, user: Login) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "No one has an account yet" not in page
    assert "switchboard user create" not in page


def test_login_page_still_shows_its_form_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "a-directory").mkdir()
    settings = make_settings(tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'a-directory'}")
    response = create_app(settings).test_client().get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert csrf_token(page) and "No one has an account yet" not in page


def test_login_post_without_csrf_token_is_rejected_with_400(client: FlaskClient, user: Login) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 400
    assert client.get("/incidents").status_code == 302  # still not logged in


def test_login_post_with_a_forged_csrf_token_is_rejected_with_400(client: FlaskClient, user: Login) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": "forged"})
    assert response.status_code == 400


def test_login_with_right_password_redirects_to_incidents(client: FlaskClient, user: Login) -> None:
    response = log_in(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/incidents"
    assert client.get("/incidents").status_code == 200


def test_wrong_password_shows_the_generic_error(client: FlaskClient, user: Login) -> None:
    response = log_in(client, Login(user.email, "not-the-password"))
    assert response.status_code == 200
    assert GENERIC_ERROR in response.get_data(as_text=True)
    assert client.get("/incidents").status_code == 302


def test_unknown_email_shows_the_same_generic_error(client: FlaskClient, user: Login) -> None:
    response = log_in(client, Login("nobody@example.com", user.password))
    assert GENERIC_ERROR in response.get_data(as_text=True)


def test_disabled_user_cannot_log_in(client: FlaskClient, db: Database, user: Login) -> None:
    with db.transaction() as session:
        session.scalars(select(User)).one().active = False
    assert GENERIC_ERROR in log_in(client, user).get_data(as_text=True)


def test_login_returns_to_the_local_next_page(client: FlaskClient, user: Login) -> None:
    response = log_in(client, user, next_url="/incidents?status=open")
    assert response.headers["Location"] == "/incidents?status=open"


def test_login_ignores_a_next_url_on_another_site(client: FlaskClient, user: Login) -> None:
    response = log_in(client, user, next_url="https://evil.example/phish")
    assert response.headers["Location"] == "/incidents"


def test_anonymous_visitor_is_sent_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/incidents?status=open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fincidents%3Fstatus%3Dopen"


def test_root_redirects_to_incidents(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/incidents"


def test_logout_with_csrf_token_ends_the_session(logged_in: FlaskClient) -> None:
    token = csrf_token(logged_in.get("/incidents").get_data(as_text=True))
    response = logged_in.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert logged_in.get("/incidents").status_code == 302


def test_logout_without_csrf_token_is_rejected_and_keeps_the_session(logged_in: FlaskClient) -> None:
    assert logged_in.post("/logout").status_code == 400
    assert logged_in.get("/incidents").status_code == 200


def test_logout_by_get_link_is_not_allowed(logged_in: FlaskClient) -> None:
    assert logged_in.get("/logout").status_code == 405
    assert logged_in.get("/incidents").status_code == 200


def test_deactivated_user_loses_an_existing_session(logged_in: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        session.scalars(select(User)).one().active = False
    response = logged_in.get("/incidents")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def logged_in_ago(client: FlaskClient, seconds: float) -> None:
    """Move this browser's login `seconds` into the past, as a session in use that long."""
    with client.session_transaction() as cookie:
        cookie[LOGGED_IN_AT] = time.time() - seconds


def test_a_session_older_than_the_maximum_age_ends_however_busy(logged_in: FlaskClient) -> None:
    logged_in_ago(logged_in, 7 * 86400 + 60)
    response = logged_in.get("/incidents")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "A login lasts at most 7 d, however busy: log in again." in page
    assert logged_in.get("/incidents").status_code == 302  # ended, not merely turned away once


def test_a_session_younger_than_the_maximum_age_goes_on(logged_in: FlaskClient) -> None:
    logged_in_ago(logged_in, 7 * 86400 - 60)
    assert logged_in.get("/incidents").status_code == 200


def test_the_maximum_age_is_set_by_the_environment(tmp_path: Path, db: Database, user: Login) -> None:
    app = create_app(make_settings(tmp_path, session_max_age=3600.0), db=db)
    client = app.test_client()
    assert log_in(client, user).status_code == 302
    logged_in_ago(client, 3601)
    assert client.get("/incidents").status_code == 302


def test_a_session_from_before_the_limit_counts_from_its_next_request(logged_in: FlaskClient) -> None:
    with logged_in.session_transaction() as cookie:
        del cookie[LOGGED_IN_AT]
    assert logged_in.get("/incidents").status_code == 200
    with logged_in.session_transaction() as cookie:
        assert time.time() - cookie[LOGGED_IN_AT] < 60


def test_every_role_may_view_incidents(app: Flask, make_user: Callable[..., Login]) -> None:
    for role in ("admin", "agent", "viewer"):
        client = app.test_client()
        log_in(client, make_user(f"{role}@example.com", role))
        assert client.get("/incidents").status_code == 200, role


def test_a_logged_in_page_while_the_database_is_down_is_the_503_page_not_a_500(tmp_path: Path) -> None:
    (tmp_path / "not-a-file").mkdir()
    settings = make_settings(tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'not-a-file'}")
    client = create_app(settings).test_client()
    with client.session_transaction() as cookie:  # logged in before the database went away
        cookie["_user_id"] = "1:key"
    response = client.get("/incidents")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "The database is not answering right now" in response.get_data(as_text=True)
