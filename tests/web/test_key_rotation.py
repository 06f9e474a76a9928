"""A new SECRET_KEY, the old one listed in SWITCHBOARD_OLD_SECRET_KEYS: what the old key signed (a browser's session,
a form's CSRF token, a link in mail, a calendar feed URL) still works after the restart; once the old key is
dropped it does not, and what a key in neither place signed never does."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import groups, oncall, triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import OutboxMessage, utcnow
from tests.web.helpers import Login, csrf_token, log_in
from tests.web.test_oncall_feed import my_feed
from web import create_app
from web.errors import CSRF_HELP

OLD, NEW, STRANGER = "the key until today", "the key from today", "a key that was never ours"
SESSION_COOKIE = "switchboard_session"

Restart = Callable[..., FlaskClient]


@pytest.fixture
def started(settings: Settings, db: Database) -> Restart:
    """`started(key, *former)`: a browser on the app as (re)started with SECRET_KEY=key and the former keys in
    SWITCHBOARD_OLD_SECRET_KEYS, on the same database."""

    def start(key: str, *former: str) -> FlaskClient:
        app = create_app(dataclasses.replace(settings, secret_key=key, old_secret_keys=former), db=db)
        app.config["TESTING"] = True
        return app.test_client()

    return start


def same_browser(before: FlaskClient, after: FlaskClient) -> FlaskClient:
    """`after` holding the session cookie `before` was given: the same browser, coming back after the restart."""
    cookie = before.get_cookie(SESSION_COOKIE)
    assert cookie is not None, "the browser was given no session cookie"
    after.set_cookie(SESSION_COOKIE, cookie.value)
    return after


def logged_in_under(started: Restart, key: str, login: Login) -> FlaskClient:
    browser = started(key)
    assert log_in(browser, login).status_code == 302
    return browser


# -- sessions ------------------------------------------------------------------------------------------------------


def test_a_session_from_before_a_new_key_stays_logged_in_while_the_old_key_is_listed(
    started: Restart, user: Login
) -> None:
    browser = same_browser(logged_in_under(started, OLD, user), started(NEW, OLD))
    assert browser.get("/incidents").status_code == 200


def test_a_session_from_before_a_new_key_ends_once_the_old_key_is_dropped(started: Restart, user: Login) -> None:
    browser = same_browser(logged_in_under(started, OLD, user), started(NEW))
    answer = browser.get("/incidents")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_a_session_signed_with_a_key_in_neither_place_is_refused(started: Restart, user: Login) -> None:
    browser = same_browser(logged_in_under(started, STRANGER, user), started(NEW, OLD))
    answer = browser.get("/incidents")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_a_session_carried_over_is_signed_anew_with_the_new_key(started: Restart, user: Login) -> None:
    browser = same_browser(logged_in_under(started, OLD, user), started(NEW, OLD))
    browser.get("/incidents")  # the visit that moves the session's expiry on writes the cookie again
    assert same_browser(browser, started(NEW)).get("/incidents").status_code == 200


# -- forms ---------------------------------------------------------------------------------------------------------


def test_a_form_opened_before_a_new_key_is_accepted_after_it_while_the_old_key_is_listed(
    started: Restart, user: Login
) -> None:
    before = started(OLD)
    token = csrf_token(before.get("/login").get_data(as_text=True))
    after = same_browser(before, started(NEW, OLD))
    answer = after.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert answer.status_code == 302 and after.get("/incidents").status_code == 200


def test_a_form_opened_before_the_old_key_was_dropped_asks_to_reload_the_page(started: Restart, user: Login) -> None:
    before = started(OLD)
    token = csrf_token(before.get("/login").get_data(as_text=True))
    after = same_browser(before, started(NEW))
    answer = after.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert answer.status_code == 400 and CSRF_HELP in answer.get_data(as_text=True)


# -- links in mail -------------------------------------------------------------------------------------------------


def survey_link(settings: Settings, db: Database, intake: Intake, key: str) -> str:
    """The path of the "How did we do?" link in the resolution mail sent while SECRET_KEY was `key`."""
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nbroken")
    opened = intake.record(raw, InboundEvent(source="email", title="Printer is broken", requester="ann@example.org",
                                             message_id="<m1@example.org>"))  # fmt: skip
    assert opened.incident_id is not None
    mail = Mail(settings.desk_address, settings.base_url, secret_key=key)
    triage.change_status(db, opened.incident_id, "resolve", Actor("agent@example.com"), mail)
    with db.read() as session:
        sent = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "resolved")).one()
    assert sent.facts is not None
    return urlsplit(sent.facts["survey"][0]["url"]).path


def test_a_link_mailed_before_a_new_key_opens_while_the_old_key_is_listed(
    started: Restart, settings: Settings, db: Database, intake: Intake
) -> None:
    link = survey_link(settings, db, intake, OLD)
    answer = started(NEW, OLD).get(link)
    assert answer.status_code == 200 and "Printer is broken" in answer.get_data(as_text=True)


def test_a_link_mailed_before_a_new_key_is_refused_once_the_old_key_is_dropped(
    started: Restart, settings: Settings, db: Database, intake: Intake
) -> None:
    link = survey_link(settings, db, intake, OLD)
    assert started(NEW).get(link).status_code == 400


def test_a_link_signed_with_a_key_in_neither_place_is_refused(
    started: Restart, settings: Settings, db: Database, intake: Intake
) -> None:
    link = survey_link(settings, db, intake, STRANGER)
    assert started(NEW, OLD).get(link).status_code == 400


# -- calendar feeds ------------------------------------------------------------------------------------------------


@pytest.fixture
def on_call(db: Database) -> None:
    with db.transaction() as s:
        groups.save_group(s, "dba", ["agent@example.com"])
        oncall.set_rotation(s, "dba", zone="UTC", shift="1d", handoff="09:00", now=utcnow())


def test_a_calendar_feed_url_from_before_a_new_key_serves_the_calendar_while_the_old_key_is_listed(
    started: Restart, user: Login, on_call: None
) -> None:
    feed = my_feed(started(OLD), user)
    answer = started(NEW, OLD).get(feed)
    assert answer.status_code == 200 and "On call: dba (agent@example.com)" in answer.get_data(as_text=True)


def test_the_on_call_page_gives_a_feed_url_that_outlives_the_old_key(
    started: Restart, user: Login, on_call: None
) -> None:
    before = my_feed(started(OLD), user)
    shown = my_feed(started(NEW, OLD), user)
    assert shown != before and started(NEW).get(shown).status_code == 200
