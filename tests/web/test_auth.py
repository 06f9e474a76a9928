"""Logging in and out of the web UI: CSRF-protected forms, generic errors, safe redirects, live sessions."""

from __future__ import annotations

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


def test_every_role_may_view_incidents(app: Flask, make_user: Callable[..., Login]) -> None:
    for role in ("admin", "agent", "viewer"):
        client = app.test_client()
        log_in(client, make_user(f"{role}@example.com", role))
        assert client.get("/incidents").status_code == 200, role
