"""Passwords: people change their own, admins set one for someone who forgot theirs, and either way every session
logged in with the old password ends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub import api_tokens
from hub.audit import recent
from hub.db import Database
from hub.models import User
from tests.web.helpers import Login, bearer, csrf_token, log_in

NEW = "a brand new passphrase"


def change_password(
    client: FlaskClient, current: str, new: str = NEW, again: str | None = None, **also: str
) -> TestResponse:
    token = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post("/account", data={"csrf_token": token, "current": current, "new": new,
                                         "again": new if again is None else again, **also})  # fmt: skip


def still_logged_in(client: FlaskClient) -> bool:
    return client.get("/incidents").status_code == 200


def test_the_header_links_to_your_account_page(logged_in: FlaskClient, user: Login) -> None:
    assert 'href="/account"' in logged_in.get("/incidents").get_data(as_text=True)
    page = logged_in.get("/account").get_data(as_text=True)
    assert user.email in page and "Change your password" in page


def test_you_change_your_password_and_log_in_with_the_new_one(
    app_client_pair: tuple[FlaskClient, FlaskClient], user: Login
) -> None:
    browser, _ = app_client_pair
    log_in(browser, user)
    response = change_password(browser, user.password)
    assert response.status_code == 303
    assert "Every other session logged in as you has ended." in browser.get("/account").get_data(as_text=True)
    assert still_logged_in(browser)  # this browser stays in
    fresh, _ = app_client_pair
    assert log_in(fresh.application.test_client(), Login(user.email, NEW)).status_code == 302
    assert log_in(fresh.application.test_client(), user).status_code == 200  # the old one is refused


def test_every_other_session_ends_when_you_change_it(
    app_client_pair: tuple[FlaskClient, FlaskClient], user: Login
) -> None:
    laptop, phone = app_client_pair
    log_in(laptop, user)
    log_in(phone, user)
    assert change_password(laptop, user.password).status_code == 303
    assert still_logged_in(laptop) and not still_logged_in(phone)


def test_a_wrong_current_password_changes_nothing(logged_in: FlaskClient, user: Login, db: Database) -> None:
    response = change_password(logged_in, "not my password")
    assert response.status_code == 400
    assert "That is not your current password; nothing changed." in response.get_data(as_text=True)
    assert log_in(logged_in.application.test_client(), user).status_code == 302
    with db.read() as session:
        assert recent(session, action="user.password") == []


@pytest.mark.parametrize(
    ("new", "again", "why"),
    [("short", "short", "A password has 8 to 1024 characters."), (NEW, NEW + "!", "The two differ.")],
)
def test_a_new_password_too_short_or_typed_differently_is_refused(
    logged_in: FlaskClient, user: Login, new: str, again: str, why: str
) -> None:
    response = change_password(logged_in, user.password, new, again)
    assert response.status_code == 400 and why in response.get_data(as_text=True)
    assert log_in(logged_in.application.test_client(), user).status_code == 302


def test_guessing_the_current_password_is_limited_like_logging_in(
    counting_client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    user, client = make_user(), counting_client
    log_in(client, user)
    for _ in range(5):
        assert change_password(client, "a guess").status_code == 400
    locked = change_password(client, user.password)
    assert locked.status_code == 400 and "Too many wrong passwords" in locked.get_data(as_text=True)


def test_the_change_is_audited(logged_in: FlaskClient, user: Login, db: Database) -> None:
    change_password(logged_in, user.password)
    with db.read() as session:
        (entry,) = recent(session, action="user.password")
    assert (entry.actor, entry.target) == (user.email, user.email)


def tokens_made(db: Database, owner: str, *names: str) -> list[str]:
    with db.transaction() as session:
        return [api_tokens.create_token(session, name=name, owner=owner) for name in names]


def test_a_password_change_leaves_your_tokens_working_unless_you_tick_the_box(
    logged_in: FlaskClient, user: Login, db: Database
) -> None:
    (value,) = tokens_made(db, user.email, "laptop")
    assert "Also revoke my API tokens" in logged_in.get("/account").get_data(as_text=True)
    assert change_password(logged_in, user.password).status_code == 303
    assert logged_in.get("/api/v1/incidents", headers=bearer(value)).status_code == 200


def test_ticking_the_box_revokes_every_token_of_yours_with_the_password_and_says_which(
    logged_in: FlaskClient, user: Login, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="colleague@example.com", role="agent")
    mine = tokens_made(db, user.email, "laptop", "cron")
    (theirs,) = tokens_made(db, "colleague@example.com", "their-laptop")
    assert change_password(logged_in, user.password, revoke_tokens="y").status_code == 303
    assert "your 2 tokens (cron, laptop) revoked" in logged_in.get("/account").get_data(as_text=True)
    assert [logged_in.get("/api/v1/incidents", headers=bearer(value)).status_code for value in mine] == [401, 401]
    assert logged_in.get("/api/v1/incidents", headers=bearer(theirs)).status_code == 200
    with db.read() as session:
        revoked = recent(session, action="token.revoke")
    assert sorted((entry.target, entry.detail["why"]) for entry in revoked) == [
        ("cron", "password change"), ("laptop", "password change")]  # fmt: skip


def test_a_wrong_current_password_revokes_no_token(logged_in: FlaskClient, user: Login, db: Database) -> None:
    (value,) = tokens_made(db, user.email, "laptop")
    assert change_password(logged_in, "not my password", revoke_tokens="y").status_code == 400
    assert logged_in.get("/api/v1/incidents", headers=bearer(value)).status_code == 200


def test_the_box_is_offered_only_to_someone_with_a_token(logged_in: FlaskClient) -> None:
    assert "Also revoke my API tokens" not in logged_in.get("/account").get_data(as_text=True)


# --- an admin sets one for someone who forgot theirs ---------------------------------------------------------------


def reset(admin: FlaskClient, user_id: int, password: str) -> str:
    token = csrf_token(admin.get("/users").get_data(as_text=True))
    response = admin.post(f"/users/{user_id}/password", data={"csrf_token": token, "password": password})
    assert response.status_code == 302
    return admin.get("/users").get_data(as_text=True)


def test_an_admin_sets_a_new_password_and_the_persons_sessions_end(
    app_client_pair: tuple[FlaskClient, FlaskClient], make_user: Callable[..., Login], db: Database
) -> None:
    admin, forgetful = app_client_pair
    log_in(admin, make_user("root@example.com", role="admin"))
    ann = make_user("ann@example.com")
    log_in(forgetful, ann)
    page = reset(admin, 2, NEW)
    assert "New password set for ann@example.com; their sessions have ended." in page
    assert not still_logged_in(forgetful)
    assert log_in(forgetful, Login(ann.email, NEW)).status_code == 302
    with db.read() as session:
        (entry,) = recent(session, action="user.password")
    assert (entry.actor, entry.target) == ("root@example.com", "ann@example.com")


def test_a_reset_to_a_too_short_password_changes_nothing(
    logged_in_admin: FlaskClient, make_user: Callable[..., Login]
) -> None:
    ann = make_user("ann@example.com")
    page = reset(logged_in_admin, 2, "short")
    assert "Nothing changed: a password needs 8 to 1024 characters." in page
    assert log_in(logged_in_admin.application.test_client(), ann).status_code == 302


@pytest.fixture
def logged_in_admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user("root@example.com", role="admin"))
    return client


#: A person's own settings: where each posts and what it would change (web/account.py).
OWN_SETTINGS = {
    "/account": {"current": "irrelevant", "new": NEW, "again": NEW},
    "/account/name": {"name": "Someone Else"},
    "/account/timezone": {"timezone": "Europe/Paris"},
    "/account/timeline": {"order": "newest"},
}


@pytest.mark.parametrize("path", sorted(OWN_SETTINGS))
def test_someone_deactivated_with_the_account_page_open_changes_none_of_their_settings(
    logged_in: FlaskClient, db: Database, path: str
) -> None:
    """/account is a person's own and so not guarded like the desk's writes (web/acting.py): that is safe because
    the session of someone deactivated ends at their next request, before the view runs."""
    token = csrf_token(logged_in.get("/account").get_data(as_text=True))
    with db.transaction() as session:
        session.scalars(select(User)).one().active = False
    before = person(db)
    answer = logged_in.post(path, data={"csrf_token": token, **OWN_SETTINGS[path]})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert person(db) == before


def person(db: Database) -> tuple[object, ...]:
    with db.read() as session:
        return tuple(session.execute(select(User.__table__)).one())
