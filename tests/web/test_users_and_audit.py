"""Admins manage people from the users page; every change lands in the audit log with who made it."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from hub.db import Database
from hub.models import User
from tests.web.helpers import Login, csrf_token, log_in


def as_admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def user_id(db: Database, email: str) -> int:
    with db.read() as session:
        found = session.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def test_an_admin_adds_a_person_who_can_then_log_in(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    admin = as_admin(client, make_user)
    token = csrf_token(admin.get("/users").get_data(as_text=True))
    response = admin.post(
        "/users", data={"csrf_token": token, "email": "New@Example.com", "role": "viewer", "password": "long enough"}
    )
    assert response.status_code == 302
    assert "new@example.com can now log in." in admin.get("/users").get_data(as_text=True)
    admin.post("/logout", data={"csrf_token": csrf_token(admin.get("/users").get_data(as_text=True))})
    assert log_in(admin, Login("new@example.com", "long enough")).status_code == 302


def test_a_duplicate_email_is_refused_with_the_reason(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    admin = as_admin(client, make_user)
    token = csrf_token(admin.get("/users").get_data(as_text=True))
    page = admin.post(
        "/users", data={"csrf_token": token, "email": "root@example.com", "role": "agent", "password": "long enough"}
    ).get_data(as_text=True)
    assert "a user with email root@example.com already exists" in page


def test_a_disabled_person_is_logged_out_and_cannot_log_back_in(
    app_client_pair: tuple[FlaskClient, FlaskClient], make_user: Callable[..., Login], db: Database
) -> None:
    admin, other = app_client_pair
    as_admin(admin, make_user)
    ann = make_user(email="ann@example.com", role="agent")
    log_in(other, ann)
    assert other.get("/incidents").status_code == 200
    token = csrf_token(admin.get("/users").get_data(as_text=True))
    admin.post(f"/users/{user_id(db, 'ann@example.com')}", data={"csrf_token": token, "role": "agent", "active": "no"})
    assert other.get("/incidents").status_code == 302  # the session no longer counts
    assert log_in(other, ann).status_code == 200  # the form again, with an error


def test_the_last_admin_cannot_demote_themselves(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    token = csrf_token(admin.get("/users").get_data(as_text=True))
    admin.post(f"/users/{user_id(db, 'root@example.com')}", data={"csrf_token": token, "role": "viewer"})
    assert "root@example.com is the last active admin" in admin.get("/users").get_data(as_text=True)
    with db.read() as session:
        assert session.scalar(select(User.role).where(User.email == "root@example.com")) == "admin"


def test_user_changes_are_in_the_audit_log_with_who_made_them(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    make_user(email="bob@example.com", role="viewer")
    token = csrf_token(admin.get("/users").get_data(as_text=True))
    admin.post(f"/users/{user_id(db, 'bob@example.com')}", data={"csrf_token": token, "role": "agent"})
    page = admin.get("/audit").get_data(as_text=True)
    assert "<code>user.role</code>" in page and "bob@example.com" in page and "root@example.com" in page
    assert "user.role" not in admin.get("/audit?action=silence.").get_data(as_text=True)


def test_silences_added_on_the_page_are_audited(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    admin = as_admin(client, make_user)
    token = csrf_token(admin.get("/silences").get_data(as_text=True))
    admin.post("/silences", data={"csrf_token": token, "matchers": "labels.team=db", "duration": "1h", "comment": "x"})
    assert "<code>silence.create</code>" in admin.get("/audit").get_data(as_text=True)


def test_a_change_to_someone_removed_since_the_page_loaded_says_there_is_no_such_user(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    admin = as_admin(client, make_user)
    token = csrf_token(admin.get("/users").get_data(as_text=True))
    forms = {"": {"role": "agent", "active": "yes"}, "/name": {"name": "Ann"}, "/password": {"password": "long enough"}}
    for path, form in forms.items():
        page = admin.post(f"/users/999{path}", data={"csrf_token": token, **form}, follow_redirects=True)
        assert "Nothing changed: there is no user #999." in page.get_data(as_text=True), path
