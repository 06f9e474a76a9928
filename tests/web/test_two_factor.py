"""Two-factor authentication in the browser's terms: setting up an authenticator app, logging in with its code or
a recovery code, turning it off, an admin's reset, and the operator requiring it of a role."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from hub import reseal, totp
from hub.audit import recent
from hub.config import Settings
from hub.db import Database
from hub.models import User
from tests.conftest import KEYS
from tests.web.conftest import PASSWORD, app_on
from tests.web.helpers import Login, csrf_token, log_in, on_disk
from web import create_app
from web.services import services

#: The middle of a 30-second step, so three consecutive codes (previous, current, next) all count.
NOW = (time.time() // totp.STEP_SECONDS) * totp.STEP_SECONDS + 15
STEP = totp.step_at(NOW)
_KEY = re.compile(r'id="two-factor-key">([A-Z2-7 ]+)<')
_CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


@pytest.fixture(autouse=True)
def steady_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The web app's clock stands still mid-step (only its clock: codes are checked for real against it)."""
    frozen = SimpleNamespace(time=lambda: NOW)
    monkeypatch.setattr("web.auth.time", frozen)
    monkeypatch.setattr("web.two_factor.time", frozen)


@pytest.fixture
def required_for_admins(settings: Settings, db: Database) -> Iterator[Flask]:
    with app_on(dataclasses.replace(settings, two_factor_roles=frozenset({"admin"})), db) as app:
        yield app


def code(secret: str, offset: int = 0) -> str:
    return totp.code_at(secret, STEP + offset)


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Set up an authenticator from the setup page as a person would: read the key, type the app's code, and read
    the recovery codes on the page the answer sends the browser to."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    match = _KEY.search(page)
    assert match, "the setup page shows no key"
    secret = match.group(1).replace(" ", "")
    response = client.post("/account/two-factor", data={"csrf_token": csrf_token(page), "code": code(secret, -1),
                                                      "password": PASSWORD})  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)
    return secret, _CODES.findall(client.get(response.headers["Location"]).get_data(as_text=True))


def second_step(client: FlaskClient, typed: str) -> TestResponse:
    token = csrf_token(client.get("/login/code").get_data(as_text=True))
    return client.post("/login/code", data={"csrf_token": token, "code": typed})


def logged_in_as_someone(client: FlaskClient) -> bool:
    return client.get("/incidents").status_code == 200


@pytest.fixture
def enrolled(app: Flask, user: Login) -> tuple[str, list[str]]:
    browser = app.test_client()
    log_in(browser, user)
    return enrol(browser)


def test_the_account_page_offers_to_turn_it_on(logged_in: FlaskClient) -> None:
    page = logged_in.get("/account").get_data(as_text=True)
    assert "Two-factor authentication" in page and 'href="/account/two-factor"' in page


def test_the_setup_page_shows_a_qr_code_and_the_key(logged_in: FlaskClient, user: Login) -> None:
    page = logged_in.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and _KEY.search(page)
    assert "otpauth://totp/Switchboard:" + user.email in page.replace("%40", "@")


def test_reloading_the_setup_page_keeps_the_same_key(logged_in: FlaskClient) -> None:
    first = _KEY.search(logged_in.get("/account/two-factor").get_data(as_text=True))
    again = _KEY.search(logged_in.get("/account/two-factor").get_data(as_text=True))
    assert first and again and first.group(1) == again.group(1)


def test_a_wrong_code_at_setup_leaves_it_off(logged_in: FlaskClient) -> None:
    page = logged_in.get("/account/two-factor").get_data(as_text=True)
    response = logged_in.post("/account/two-factor", data={"csrf_token": csrf_token(page), "code": "12345",
                                                         "password": PASSWORD})  # fmt: skip
    assert response.status_code == 400 and "does not match" in response.get_data(as_text=True)
    assert "Turn on two-factor authentication" in logged_in.get("/account").get_data(as_text=True)


def test_a_right_code_without_the_password_leaves_it_off(logged_in: FlaskClient) -> None:
    """A borrowed session cannot turn it on with its own app, keep the recovery codes and lock the person out."""
    secret, page = shown_key(logged_in)
    typed = {"csrf_token": csrf_token(page), "code": code(secret), "password": "not the password"}
    response = logged_in.post("/account/two-factor", data=typed)
    assert response.status_code == 400 and "not your password" in response.get_data(as_text=True)
    assert "Turn on two-factor authentication" in logged_in.get("/account").get_data(as_text=True)


def test_turning_it_on_shows_ten_recovery_codes_once(logged_in: FlaskClient) -> None:
    _, codes = enrol(logged_in)
    assert len(codes) == 10
    page = logged_in.get("/account").get_data(as_text=True)
    assert "10 recovery codes left" in page and not any(c in page for c in codes)


def test_a_reload_after_turning_it_on_shows_no_codes_and_those_shown_log_in(
    app: Flask, logged_in: FlaskClient, user: Login
) -> None:
    _, codes = enrol(logged_in)
    assert len(codes) == 10
    assert not _CODES.findall(logged_in.get("/account").get_data(as_text=True))  # the reload
    elsewhere = app.test_client()
    log_in(elsewhere, user)
    assert second_step(elsewhere, codes[0]).status_code == 302


def test_turning_it_on_ends_every_other_session(app_client_pair: tuple[FlaskClient, FlaskClient], user: Login) -> None:
    laptop, phone = app_client_pair
    log_in(laptop, user)
    log_in(phone, user)
    enrol(laptop)
    assert logged_in_as_someone(laptop) and not logged_in_as_someone(phone)


def test_the_password_alone_no_longer_logs_in(client: FlaskClient, user: Login, enrolled: object) -> None:
    response = log_in(client, user)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    assert not logged_in_as_someone(client)


def test_the_apps_code_after_the_password_logs_in(
    client: FlaskClient, user: Login, enrolled: tuple[str, list[str]]
) -> None:
    log_in(client, user, next_url="/account")
    response = second_step(client, code(enrolled[0]))
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert logged_in_as_someone(client)


def test_a_wrong_code_is_refused_and_counted_like_a_wrong_password(
    settings: Settings,
    db: Database,
    redis_url: str,
    user: Login,
    enrolled: tuple[str, list[str]],
    steady_limit_clock: None,
) -> None:
    app = create_app(dataclasses.replace(settings, redis_url=redis_url), db=db)
    client = app.test_client()
    log_in(client, user)
    wrong = f"{(int(code(enrolled[0])) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = second_step(client, wrong)
        assert response.status_code == 400 and "not right" in response.get_data(as_text=True)
    locked = second_step(client, code(enrolled[0]))
    assert locked.status_code == 302 and locked.headers["Location"].endswith("/login")
    assert not logged_in_as_someone(client)
    assert "Too many failed attempts" in client.get("/login").get_data(as_text=True)
    with app.app_context():
        services().close()


def test_a_code_used_once_does_not_log_in_again(
    app_client_pair: tuple[FlaskClient, FlaskClient], user: Login, enrolled: tuple[str, list[str]]
) -> None:
    first, second = app_client_pair
    log_in(first, user)
    assert second_step(first, code(enrolled[0])).status_code == 302
    log_in(second, user)
    assert second_step(second, code(enrolled[0])).status_code == 400


def test_a_recovery_code_logs_in_and_says_how_many_are_left(
    client: FlaskClient, user: Login, enrolled: tuple[str, list[str]]
) -> None:
    log_in(client, user)
    assert second_step(client, enrolled[1][0]).status_code == 302
    assert "9 left" in client.get("/incidents").get_data(as_text=True)


def test_the_code_page_without_a_password_first_sends_you_to_log_in(client: FlaskClient) -> None:
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_a_code_long_after_the_password_is_refused(
    client: FlaskClient, user: Login, enrolled: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    log_in(client, user)
    monkeypatch.setattr("web.auth.time", SimpleNamespace(time=lambda: NOW + 301))
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_new_recovery_codes_want_the_password(
    client: FlaskClient, user: Login, enrolled: tuple[str, list[str]]
) -> None:
    log_in(client, user)
    second_step(client, code(enrolled[0]))
    token = csrf_token(client.get("/account").get_data(as_text=True))
    refused = client.post("/account/two-factor/recovery-codes", data={"csrf_token": token, "password": "nope"})
    assert refused.status_code == 303
    fresh = client.post("/account/two-factor/recovery-codes", data={"csrf_token": token, "password": user.password})
    new = _CODES.findall(client.get(fresh.headers["Location"]).get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(enrolled[1])


def test_a_reload_after_new_recovery_codes_makes_none_and_those_shown_log_in(
    app: Flask, client: FlaskClient, user: Login, enrolled: tuple[str, list[str]]
) -> None:
    log_in(client, user)
    second_step(client, code(enrolled[0]))
    token = csrf_token(client.get("/account").get_data(as_text=True))
    asked = client.post("/account/two-factor/recovery-codes", data={"csrf_token": token, "password": user.password})
    assert asked.status_code == 303 and asked.headers["Location"] == "/account#new-recovery-codes"
    shown = client.get(asked.headers["Location"])
    new = _CODES.findall(shown.get_data(as_text=True))
    assert len(new) == 10 and shown.headers["Cache-Control"] == "no-store"
    assert not _CODES.findall(client.get(asked.headers["Location"]).get_data(as_text=True))  # the reload
    elsewhere = app.test_client()
    log_in(elsewhere, user)
    assert second_step(elsewhere, new[0]).status_code == 302


def test_turning_it_off_wants_the_password_and_a_code(
    client: FlaskClient, user: Login, enrolled: tuple[str, list[str]]
) -> None:
    log_in(client, user)
    second_step(client, code(enrolled[0]))
    token = csrf_token(client.get("/account").get_data(as_text=True))
    client.post("/account/two-factor/off", data={"csrf_token": token, "password": user.password, "code": "000000"})
    assert "recovery codes left" in client.get("/account").get_data(as_text=True)  # still on
    client.post("/account/two-factor/off",
                data={"csrf_token": token, "password": user.password, "code": code(enrolled[0], 1)})  # fmt: skip
    assert "Turn on two-factor authentication" in client.get("/account").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").get_data(as_text=True))})
    assert log_in(client, user).headers["Location"] == "/incidents"  # the password alone again


def test_an_admin_resets_it_for_someone_who_lost_their_phone(
    app: Flask, make_user: Callable[..., Login], db: Database
) -> None:
    agent, admin = make_user("agent@example.com"), make_user("boss@example.com", role="admin")
    phone, desk = app.test_client(), app.test_client()
    log_in(phone, agent)
    enrol(phone)
    log_in(desk, admin)
    page = desk.get("/users").get_data(as_text=True)
    assert "Reset two-factor" in page
    desk.post("/users/1/two-factor/reset", data={"csrf_token": csrf_token(page)})
    assert not logged_in_as_someone(phone)
    assert log_in(app.test_client(), agent).headers["Location"] == "/incidents"
    with db.read() as session:
        assert [(e.actor, e.target) for e in recent(session, action="user.2fa_reset")] == [(admin.email, agent.email)]


def test_only_admins_may_reset_it(logged_in: FlaskClient) -> None:
    token = csrf_token(logged_in.get("/account").get_data(as_text=True))
    assert logged_in.post("/users/1/two-factor/reset", data={"csrf_token": token}).status_code == 403


def test_a_role_that_requires_it_reaches_only_the_setup_page_until_it_is_on(
    required_for_admins: Flask, make_user: Callable[..., Login]
) -> None:
    client = required_for_admins.test_client()
    log_in(client, make_user("boss@example.com", role="admin"))
    response = client.get("/incidents")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    assert "Every admin must use two-factor authentication" in client.get("/account/two-factor").get_data(as_text=True)
    enrol(client)
    assert logged_in_as_someone(client)


def test_a_role_that_does_not_require_it_is_not_sent_to_set_it_up(
    required_for_admins: Flask, make_user: Callable[..., Login]
) -> None:
    client = required_for_admins.test_client()
    log_in(client, make_user())
    assert logged_in_as_someone(client)


def test_where_it_is_required_it_cannot_be_turned_off(
    required_for_admins: Flask, make_user: Callable[..., Login]
) -> None:
    client = required_for_admins.test_client()
    boss = make_user("boss@example.com", role="admin")
    log_in(client, boss)
    secret, _ = enrol(client)
    page = client.get("/account").get_data(as_text=True)
    assert "it stays on" in page and "/account/two-factor/off" not in page
    client.post("/account/two-factor/off", data={"csrf_token": csrf_token(page), "password": boss.password,
                                                  "code": code(secret)})  # fmt: skip
    assert "recovery codes left" in client.get("/account").get_data(as_text=True)


def test_the_users_page_says_who_has_it_on(app: Flask, make_user: Callable[..., Login]) -> None:
    admin = make_user("boss@example.com", role="admin")
    client = app.test_client()
    log_in(client, admin)
    enrol(client)
    page = client.get("/users").get_data(as_text=True)
    assert '<td data-label="Two-factor">on</td>' in page


def test_setting_it_up_is_audited(logged_in: FlaskClient, user: Login, db: Database) -> None:
    enrol(logged_in)
    with db.read() as session:
        assert [e.target for e in recent(session, action="user.2fa_on")] == [user.email]


# -- the secret while it is set up: on the server, not in the cookie ----------------------------------------


def session_cookie(app: Flask, client: FlaskClient) -> dict[str, object]:
    """What the browser's session cookie holds, read as anyone who saw the cookie could (signed, not encrypted)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return dict(serializer.loads(cookie.value))


def shown_key(client: FlaskClient) -> tuple[str, str]:
    """(the key the setup page shows, the page)."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    match = _KEY.search(page)
    assert match, "the setup page shows no key"
    return match.group(1).replace(" ", ""), page


def type_code(client: FlaskClient, page: str, typed: str) -> TestResponse:
    return client.post("/account/two-factor", data={"csrf_token": csrf_token(page), "code": typed,
                                                    "password": PASSWORD})  # fmt: skip


def test_the_session_cookie_does_not_hold_the_secret_being_set_up(app: Flask, logged_in: FlaskClient) -> None:
    secret, _ = shown_key(logged_in)
    held = session_cookie(app, logged_in)
    assert "two_factor_setup" in held  # the reference to the setup this browser shows
    assert secret not in repr(held)


def test_the_secret_being_set_up_waits_sealed_on_the_server(logged_in: FlaskClient, user: Login, db: Database) -> None:
    secret, _ = shown_key(logged_in)
    with db.read() as session:
        pending = session.scalar(select(User.totp_pending).where(User.email == user.email))
    assert pending is not None and pending.startswith("sealed:v1:") and secret not in pending
    assert not on_disk(db, secret)


def test_a_confirmed_setup_leaves_nothing_waiting(logged_in: FlaskClient, user: Login, db: Database) -> None:
    enrol(logged_in)
    with db.read() as session:
        row = session.execute(
            select(User.totp_pending, User.totp_pending_ref, User.totp_pending_at).where(User.email == user.email)
        ).one()
    assert tuple(row) == (None, None, None)


def test_an_expired_setup_says_to_scan_the_new_key(logged_in: FlaskClient, user: Login, db: Database) -> None:
    old, page = shown_key(logged_in)
    with db.transaction() as session:  # started 16 minutes before the app's clock
        started = datetime.fromtimestamp(NOW, UTC) - timedelta(minutes=16)
        session.execute(update(User).where(User.email == user.email).values(totp_pending_at=started))
    response = type_code(logged_in, page, code(old))
    said = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This key expired: a setup waits 15 minutes" in said and "Scan the new key on this page" in said
    new = _KEY.search(said)
    assert new and new.group(1).replace(" ", "") != old
    assert "Turn on two-factor authentication" in logged_in.get("/account").get_data(as_text=True)  # still off


def test_the_new_key_after_an_expired_one_turns_it_on(logged_in: FlaskClient, user: Login, db: Database) -> None:
    _, page = shown_key(logged_in)
    with db.transaction() as session:
        started = datetime.fromtimestamp(NOW, UTC) - timedelta(minutes=16)
        session.execute(update(User).where(User.email == user.email).values(totp_pending_at=started))
    new, page = shown_key(logged_in)  # a reload starts again, saying why
    assert "This key expired" in page
    assert type_code(logged_in, page, code(new)).status_code == 303


def test_a_setup_started_in_another_browser_replaces_this_ones(
    app_client_pair: tuple[FlaskClient, FlaskClient], user: Login
) -> None:
    laptop, desktop = app_client_pair
    log_in(laptop, user)
    log_in(desktop, user)
    first, laptop_page = shown_key(laptop)
    second, _ = shown_key(desktop)
    assert first != second
    refused = type_code(laptop, laptop_page, code(first))
    said = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Setup was started again in another browser or tab, so the key shown here no longer counts" in said
    assert logged_in_as_someone(laptop)  # nothing turned on, nobody logged out


def test_the_setup_started_last_turns_it_on(app_client_pair: tuple[FlaskClient, FlaskClient], user: Login) -> None:
    laptop, desktop = app_client_pair
    log_in(laptop, user)
    log_in(desktop, user)
    shown_key(laptop)
    second, desktop_page = shown_key(desktop)
    assert type_code(desktop, desktop_page, code(second)).status_code == 303


# -- the secret at rest (hub/sealed.py) ----------------------------------------------------------------------


def stored_secret(db: Database, email: str) -> str | None:
    with db.read() as session:
        return session.scalar(select(User.totp_secret).where(User.email == email))


def test_the_database_keeps_the_authenticator_secret_sealed(logged_in: FlaskClient, user: Login, db: Database) -> None:
    secret, _ = enrol(logged_in)
    stored = stored_secret(db, user.email)
    assert stored is not None and stored.startswith("sealed:v1:") and secret not in stored
    assert on_disk(db, user.email) and not on_disk(db, secret)  # the look finds what is kept plain, not the secret


def test_sealing_the_secret_anew_logs_no_one_out(
    client: FlaskClient, user: Login, enrolled: tuple[str, list[str]], db: Database
) -> None:
    """The session key fingerprints the secret as opened: a new nonce or a new key changes the stored text only."""
    log_in(client, user)
    second_step(client, code(enrolled[0]))
    with db.transaction() as session:  # as a version from before sealing kept it
        session.execute(update(User).where(User.email == user.email).values(totp_secret=enrolled[0]))
    assert logged_in_as_someone(client)
    with db.transaction() as session:
        reseal.reseal(session, KEYS)
    stored = stored_secret(db, user.email)
    assert stored is not None and stored.startswith("sealed:v1:")
    assert logged_in_as_someone(client)
