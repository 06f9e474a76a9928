"""Security keys and passkeys in the browser's terms (web/security_keys.py): adding one on the account page,
logging in with it as the second step, the checks that refuse a replayed, foreign or cloned answer (and flag the
clone), renaming and removing one, an admin's reset, and challenges left unanswered. The key is
tests/soft_authenticator.py: py_webauthn checks its answers as a browser's. Recovery codes for people with keys are
tests/web/test_key_recovery_codes.py's."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from hub import security_keys
from hub.audit import recent
from hub.config import Settings
from hub.db import Database
from hub.models import SecurityKey, User, WebAuthnChallenge
from tests.soft_authenticator import SoftKey
from tests.web.conftest import PASSWORD, app_on
from tests.web.helpers import Login, csrf_token, log_in
from web import create_app
from web.services import services

#: The test client's address: the relying party when no SWITCHBOARD_PUBLIC_URL is set.
ORIGIN = "http://localhost"
_DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')
#: What the options for a new key are asked with: the person's password, typed beside the button.
MINE = {"password": PASSWORD}


def post_json(client: FlaskClient, url: str, body: object, token: str) -> TestResponse:
    return client.post(url, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})


def add_key(client: FlaskClient, key: SoftKey, name: str = "YubiKey 5") -> TestResponse:
    token = csrf_token(client.get("/account").get_data(as_text=True))
    options = post_json(client, "/account/security-keys/options", MINE, token).get_json()
    return post_json(client, "/account/security-keys", {"name": name, "credential": key.create(options)}, token)


def page_token(client: FlaskClient, path: str) -> str:
    """The CSRF token the page hands its script (the key's login has no form of its own)."""
    match = _DATA_CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"{path} hands its script no CSRF token"
    return match.group(1)


def key_step(client: FlaskClient, key: SoftKey, **tamper: object) -> TestResponse:
    """The login's second step with the key, after a right password."""
    token = page_token(client, "/login/code")
    options = post_json(client, "/login/key/options", {}, token).get_json()
    return post_json(client, "/login/key", {**key.get(options), **tamper}, token)


def logged_in_as_someone(client: FlaskClient) -> bool:
    return client.get("/incidents").status_code == 200


@pytest.fixture
def key() -> SoftKey:
    return SoftKey(ORIGIN, "localhost")


@pytest.fixture
def registered(app: Flask, user: Login, key: SoftKey) -> SoftKey:
    browser = app.test_client()
    log_in(browser, user)
    assert add_key(browser, key).status_code == 200
    return key


def key_id(db: Database, name: str = "YubiKey 5") -> int:
    with db.read() as session:
        return session.scalars(select(SecurityKey.id).where(SecurityKey.name == name)).one()


def test_adding_a_key_lists_it_on_the_account_page_and_audits_it(
    logged_in: FlaskClient, key: SoftKey, db: Database
) -> None:
    response = add_key(logged_in, key)
    assert response.status_code == 200 and response.get_json()["redirect"] == "/account#security-keys"
    page = logged_in.get("/account").get_data(as_text=True)
    assert "YubiKey 5" in page and "never" in page and "added" in page
    with db.read() as session:
        assert [e.detail for e in recent(session, action="user.key_add")] == [{"key": "YubiKey 5"}]


def test_adding_a_key_ends_every_other_session(app: Flask, user: Login, logged_in: FlaskClient, key: SoftKey) -> None:
    other = app.test_client()
    log_in(other, user)
    add_key(logged_in, key)
    assert logged_in_as_someone(logged_in) and not logged_in_as_someone(other)


def test_a_key_registered_already_is_refused(app: Flask, registered: SoftKey, make_user: object) -> None:
    someone = make_user(email="bob@example.com")  # type: ignore[operator]
    browser = app.test_client()
    log_in(browser, someone)
    response = add_key(browser, registered, "Borrowed")
    assert response.status_code == 400 and "registered already" in response.get_json()["error"]


def test_a_key_is_not_added_without_the_password(logged_in: FlaskClient) -> None:
    """A borrowed session cannot add its own key, keep the recovery codes and lock the person out."""
    token = csrf_token(logged_in.get("/account").get_data(as_text=True))
    response = post_json(logged_in, "/account/security-keys/options", {"password": "not the password"}, token)
    assert response.status_code == 400 and "not your password" in response.get_json()["error"]
    assert "challenge" not in response.get_json()


def test_a_registration_challenge_answers_once(logged_in: FlaskClient, key: SoftKey) -> None:
    token = csrf_token(logged_in.get("/account").get_data(as_text=True))
    options = post_json(logged_in, "/account/security-keys/options", MINE, token).get_json()
    answer = {"name": "One", "credential": key.create(options)}
    assert post_json(logged_in, "/account/security-keys", answer, token).status_code == 200
    token = csrf_token(logged_in.get("/account").get_data(as_text=True))  # the session was renewed
    again = post_json(logged_in, "/account/security-keys", {**answer, "name": "Two"}, token)
    assert again.status_code == 400 and "press the button again" in again.get_json()["error"]


def test_a_key_made_on_another_site_is_refused(logged_in: FlaskClient) -> None:
    response = add_key(logged_in, SoftKey("https://switchboard.evil.test", "localhost"))
    assert response.status_code == 400 and "origin" in response.get_json()["error"]


def test_with_a_key_the_password_leads_to_the_second_step_offering_the_key(
    client: FlaskClient, user: Login, registered: SoftKey
) -> None:
    response = log_in(client, user)
    assert response.headers["Location"].endswith("/login/code")
    page = client.get("/login/code").get_data(as_text=True)
    assert "Use your security key" in page and "Lost your key? Use a recovery code" in page
    assert 'inputmode="numeric"' not in page  # no app: no box for its six digits
    assert not logged_in_as_someone(client)


def test_the_key_logs_in_and_its_last_use_is_recorded(
    client: FlaskClient, user: Login, registered: SoftKey, db: Database
) -> None:
    log_in(client, user)
    response = key_step(client, registered)
    assert response.status_code == 200 and response.get_json() == {"redirect": "/incidents"}
    assert logged_in_as_someone(client)
    with db.read() as session:
        row = session.scalars(select(SecurityKey)).one()
        assert row.sign_count == registered.sign_count and row.last_used_at is not None


def test_a_login_answer_replayed_is_refused(client: FlaskClient, user: Login, registered: SoftKey) -> None:
    log_in(client, user)
    token = page_token(client, "/login/code")
    options = post_json(client, "/login/key/options", {}, token).get_json()
    answer = registered.get(options)
    client.set_cookie("session", "", domain="localhost")  # a copy of the cookie from before the try
    log_in(client, user)
    token = page_token(client, "/login/code")
    response = post_json(client, "/login/key", answer, token)
    assert response.status_code == 400 and not logged_in_as_someone(client)


def test_a_cloned_key_whose_counter_went_back_is_refused_with_a_clear_message(
    client: FlaskClient, user: Login, registered: SoftKey, db: Database
) -> None:
    with db.transaction() as session:
        session.execute(update(SecurityKey).values(sign_count=50))  # the original was used 50 times
    log_in(client, user)
    response = key_step(client, registered)
    assert response.status_code == 403
    assert "copy of the key is in use somewhere else" in response.get_json()["error"]
    assert not logged_in_as_someone(client)


@pytest.fixture
def refused_as_copy(client: FlaskClient, user: Login, registered: SoftKey, db: Database) -> None:
    """A login with the key refused because its counter went back (its original was used 50 times since)."""
    with db.transaction() as session:
        session.execute(update(SecurityKey).values(sign_count=50))
    log_in(client, user)
    assert key_step(client, registered).status_code == 403


def test_a_key_refused_as_a_copy_is_audited_with_its_name_and_why(refused_as_copy: None, db: Database) -> None:
    with db.read() as session:
        assert [e.detail for e in recent(session, action="user.key_refused")] == [
            {"key": "YubiKey 5", "reason": "its counter went back: a copy may exist; remove it"}
        ]


def test_a_key_refused_as_a_copy_is_flagged_on_its_owners_account_page_with_when(
    app: Flask, user: Login, registered: SoftKey, refused_as_copy: None, db: Database
) -> None:
    with db.read() as session:
        refused_at = session.scalars(select(SecurityKey.refused_at)).one()
    assert refused_at is not None
    owner = app.test_client()
    log_in(owner, user)
    registered.sign_count = 100  # the original, used since: its counter is ahead, so it still logs in
    assert key_step(owner, registered).status_code == 200
    page = owner.get("/account").get_data(as_text=True)
    when = refused_at.strftime("%Y-%m-%d %H:%M")  # the person's zone: the installation's UTC here
    assert f"This key was refused on {when} UTC because its counter went back: a copy may exist; remove it." in page


def test_a_key_never_refused_carries_no_flag(logged_in: FlaskClient, key: SoftKey) -> None:
    add_key(logged_in, key)
    assert "was refused on" not in logged_in.get("/account").get_data(as_text=True)


def test_someone_elses_key_does_not_pass_the_second_step(
    app: Flask, client: FlaskClient, user: Login, registered: SoftKey, make_user: object
) -> None:
    bob = make_user(email="bob@example.com")  # type: ignore[operator]
    bobs = app.test_client()
    log_in(bobs, bob)
    bobs_key = SoftKey(ORIGIN, "localhost")
    add_key(bobs, bobs_key)
    log_in(client, user)
    response = key_step(client, bobs_key)
    assert response.status_code == 400 and "not registered to this account" in response.get_json()["error"]
    assert not logged_in_as_someone(client)


def test_the_key_step_without_a_right_password_first_is_refused(client: FlaskClient, registered: SoftKey) -> None:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = post_json(client, "/login/key/options", {}, token)
    assert response.status_code == 401 and "within five minutes" in response.get_json()["error"]


def test_refused_keys_count_against_the_login_limit(
    settings: Settings, db: Database, redis_url: str, user: Login, registered: SoftKey, steady_limit_clock: None
) -> None:
    app = create_app(dataclasses.replace(settings, redis_url=redis_url), db=db)
    client = app.test_client()
    log_in(client, user)
    for _ in range(5):
        assert key_step(client, registered, rawId="AAAA").status_code == 400
    locked = key_step(client, registered)
    assert locked.status_code == 429 and "Too many failed attempts" in locked.get_json()["error"]
    assert not logged_in_as_someone(client)
    with app.app_context():
        services().close()


def test_removing_a_key_wants_the_password(logged_in: FlaskClient, key: SoftKey, db: Database) -> None:
    add_key(logged_in, key)
    page = logged_in.get("/account").get_data(as_text=True)
    with db.read() as session:
        key_id = session.scalars(select(SecurityKey.id)).one()
    wrong = logged_in.post(f"/account/security-keys/{key_id}/remove",
                           data={"csrf_token": csrf_token(page), "password": "not-it-at-all"})  # fmt: skip
    assert wrong.status_code == 303
    with db.read() as session:
        assert session.scalars(select(SecurityKey)).all() != []


def test_removing_the_last_key_turns_two_factor_off_and_is_audited(
    logged_in: FlaskClient, user: Login, key: SoftKey, db: Database
) -> None:
    add_key(logged_in, key)
    page = logged_in.get("/account").get_data(as_text=True)
    with db.read() as session:
        key_id = session.scalars(select(SecurityKey.id)).one()
    response = logged_in.post(f"/account/security-keys/{key_id}/remove",
                              data={"csrf_token": csrf_token(page), "password": user.password})  # fmt: skip
    assert response.status_code == 303 and logged_in_as_someone(logged_in)
    with db.read() as session:
        assert session.scalars(select(SecurityKey)).all() == []
        assert not session.scalars(select(User)).one().two_factor_on
        assert [e.detail for e in recent(session, action="user.key_remove")] == [{"key": "YubiKey 5"}]


@pytest.fixture
def required_for_agents(settings: Settings, db: Database) -> Iterator[Flask]:
    with app_on(dataclasses.replace(settings, two_factor_roles=frozenset({"agent"})), db) as app:
        yield app


def test_a_key_counts_as_two_factor_where_a_role_requires_it(required_for_agents: Flask, user: Login) -> None:
    client = required_for_agents.test_client()
    log_in(client, user)
    assert client.get("/incidents").headers["Location"].endswith("/account/two-factor")
    assert "Or use a security key" in client.get("/account/two-factor").get_data(as_text=True)
    token = csrf_token(client.get("/account/two-factor").get_data(as_text=True))
    options = post_json(client, "/account/security-keys/options", MINE, token).get_json()
    key = SoftKey(ORIGIN, "localhost")
    answer = {"name": "Laptop", "credential": key.create(options)}
    assert post_json(client, "/account/security-keys", answer, token).status_code == 200
    assert logged_in_as_someone(client)


def test_an_admins_reset_removes_the_keys_too_and_ends_their_sessions(
    app: Flask, client: FlaskClient, user: Login, registered: SoftKey, make_user: object, db: Database
) -> None:
    admin = app.test_client()
    log_in(admin, make_user(email="root@example.com", role="admin"))  # type: ignore[operator]
    page = admin.get("/users").get_data(as_text=True)
    with db.read() as session:
        user_id = session.scalars(select(User.id).where(User.email == user.email)).one()
    response = admin.post(f"/users/{user_id}/two-factor/reset", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    with db.read() as session:
        assert session.scalars(select(SecurityKey)).all() == []
        assert [e.detail for e in recent(session, action="user.2fa_reset")] == [{"security_keys": 1}]
    assert log_in(client, user).headers["Location"].endswith("/incidents")  # no second step any more


def test_a_challenge_left_unanswered_expires(db: Database, user: Login) -> None:
    with db.transaction() as session:
        user_id = session.scalars(select(User.id)).one()
        made = security_keys.new_challenge(session, user_id, "login", 1_000.0)
    later = 1_000.0 + security_keys.CHALLENGE_FOR.total_seconds()
    with db.transaction() as session, pytest.raises(security_keys.ChallengeGone, match="not touched in time"):
        security_keys.take_challenge(session, user_id, "login", made.ref, later)


def test_starting_a_ceremony_deletes_the_persons_stale_challenges(db: Database, user: Login) -> None:
    with db.transaction() as session:
        user_id = session.scalars(select(User.id)).one()
        security_keys.new_challenge(session, user_id, "login", 1_000.0)
        security_keys.new_challenge(session, user_id, "login", 1_000.0 + 3600)
    with db.read() as session:
        assert len(session.scalars(select(WebAuthnChallenge)).all()) == 1


def test_the_sweep_deletes_a_challenge_once_it_would_be_refused_as_expired(db: Database, user: Login) -> None:
    with db.transaction() as session:
        security_keys.new_challenge(session, session.scalars(select(User.id)).one(), "login", 1_000.0)
    expires = datetime.fromtimestamp(1_000.0, UTC) + security_keys.CHALLENGE_FOR
    assert security_keys.forget_expired_challenges(db, expires - timedelta(seconds=1)) == 0
    assert security_keys.forget_expired_challenges(db, expires) == 1


def test_a_challenge_is_taken_once_even_with_its_reference_kept(db: Database, user: Login) -> None:
    """What a copy of the session cookie would carry (the reference) cannot answer a second time."""
    with db.transaction() as session:
        user_id = session.scalars(select(User.id)).one()
        made = security_keys.new_challenge(session, user_id, "login", 1_000.0)
    with db.transaction() as session:
        assert security_keys.take_challenge(session, user_id, "login", made.ref, 1_001.0) == made.value
    with db.transaction() as session, pytest.raises(security_keys.ChallengeGone, match="used already"):
        security_keys.take_challenge(session, user_id, "login", made.ref, 1_002.0)


def rename(client: FlaskClient, key_id: int, name: str) -> TestResponse:
    token = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post(f"/account/security-keys/{key_id}/rename", data={"csrf_token": token, "name": name})


def test_renaming_a_key_shows_the_new_name_and_is_audited(logged_in: FlaskClient, key: SoftKey, db: Database) -> None:
    add_key(logged_in, key)
    response = rename(logged_in, key_id(db), "  Spare   YubiKey ")
    assert response.status_code == 303 and response.headers["Location"] == "/account#security-keys"
    page = logged_in.get("/account").get_data(as_text=True)
    assert "Security key &#39;YubiKey 5&#39; is now &#39;Spare YubiKey&#39;." in page
    with db.read() as session:
        assert session.scalars(select(SecurityKey.name)).all() == ["Spare YubiKey"]
        assert [e.detail for e in recent(session, action="user.key_rename")] == [
            {"key": "Spare YubiKey", "was": "YubiKey 5"}
        ]


def test_a_key_cannot_take_the_name_of_another_of_yours(logged_in: FlaskClient, db: Database) -> None:
    add_key(logged_in, SoftKey(ORIGIN, "localhost"), "YubiKey 5")
    add_key(logged_in, SoftKey(ORIGIN, "localhost"), "Laptop")
    rename(logged_in, key_id(db, "Laptop"), "yubikey 5")
    assert "Not renamed: you have a key named &#39;yubikey 5&#39; already" in logged_in.get("/account").get_data(
        as_text=True
    )
    with db.read() as session:
        assert sorted(session.scalars(select(SecurityKey.name))) == ["Laptop", "YubiKey 5"]
        assert recent(session, action="user.key_rename") == []


def test_a_key_may_be_renamed_to_its_own_name_in_other_letters(logged_in: FlaskClient, db: Database) -> None:
    add_key(logged_in, SoftKey(ORIGIN, "localhost"), "yubikey")
    rename(logged_in, key_id(db, "yubikey"), "YubiKey")
    with db.read() as session:
        assert session.scalars(select(SecurityKey.name)).all() == ["YubiKey"]


def test_someone_elses_key_cannot_be_renamed(
    app: Flask, logged_in: FlaskClient, registered: SoftKey, make_user: object, db: Database
) -> None:
    bob = make_user(email="bob@example.com")  # type: ignore[operator]
    bobs = app.test_client()
    log_in(bobs, bob)
    rename(bobs, key_id(db), "Mine now")
    assert "not registered to your account" in bobs.get("/account").get_data(as_text=True)
    with db.read() as session:
        assert session.scalars(select(SecurityKey.name)).all() == ["YubiKey 5"]


def test_renaming_a_key_ends_no_session(
    app: Flask, user: Login, logged_in: FlaskClient, key: SoftKey, db: Database
) -> None:
    add_key(logged_in, key)
    other = app.test_client()
    log_in(other, user)
    key_step(other, key)
    rename(logged_in, key_id(db), "Spare")
    assert logged_in_as_someone(logged_in) and logged_in_as_someone(other)


def two_factor_cell(page: str, email: str) -> str:
    """The Two-factor cell of `email`'s row on the users page, as HTML."""
    row = re.search(rf'<td data-label="Email">{re.escape(email)}</td>(.*?)</tr>', page, re.S)
    assert row, email
    cell = re.search(r'<td data-label="Two-factor">(.*?)</td>', row.group(1), re.S)
    assert cell, email
    return cell.group(1)


def test_a_key_refused_as_a_copy_is_marked_on_its_owners_row_of_the_users_page_with_what_it_means(
    app: Flask, user: Login, refused_as_copy: None, make_user: Callable[..., Login]
) -> None:
    admin = app.test_client()
    log_in(admin, make_user(email="root@example.com", role="admin"))
    page = admin.get("/users").get_data(as_text=True)
    marked = two_factor_cell(page, user.email)
    assert ">1 key refused as a copy</span>" in marked
    assert 'title="A login with this key was refused because its counter went back: a copy may exist' in marked
    assert "refused" not in two_factor_cell(page, "root@example.com")
