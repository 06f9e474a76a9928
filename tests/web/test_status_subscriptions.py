"""Status updates by mail, from the web: the form that asks for them and the pages their mail's links open."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import catalogue, status_subscriptions
from hub.config import Settings
from hub.db import Database
from hub.models import OutboxMessage, StatusSubscriber, utcnow
from tests.conftest import make_settings
from tests.web.helpers import confirm_path, csrf_token
from web import create_app

HOSTILE = '"><script>alert("sub")</script>@example.org'


@pytest.fixture
def mail_public(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)


def ask(client: FlaskClient, address: str) -> tuple[int, str]:
    page = client.get("/status/subscribe").get_data(as_text=True)
    answer = client.post("/status/subscribe", data={"csrf_token": csrf_token(page), "email": address})
    return answer.status_code, answer.get_data(as_text=True)


def confirmation_link(db: Database, address: str) -> str:
    """The path of the link in the newest confirmation mail owed to `address`."""
    return confirm_path(db, "status_confirmation", address)


def subscriber(db: Database, address: str) -> StatusSubscriber | None:
    with db.read() as session:
        return session.scalar(select(StatusSubscriber).where(StatusSubscriber.email == address))


def test_the_status_page_links_to_the_form(client: FlaskClient, mail_public: None) -> None:
    html = client.get("/status").get_data(as_text=True)
    assert 'href="/status/subscribe" id="subscribe">Get updates by email</a>' in html
    form = client.get("/status/subscribe")
    assert form.status_code == 200 and 'name="email"' in form.get_data(as_text=True)
    assert "public" not in form.headers.get("Cache-Control", "")  # the form's CSRF token is one browser's


def test_without_a_public_service_there_is_nothing_to_subscribe_to(client: FlaskClient) -> None:
    assert client.get("/status/subscribe").status_code == 404
    token = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/status/subscribe", data={"csrf_token": token, "email": "ann@example.org"}).status_code == 404


def test_asking_says_check_your_mail_and_owes_a_confirmation_mail_only(
    client: FlaskClient, db: Database, mail_public: None
) -> None:
    code, html = ask(client, "Ann@Example.org")
    assert code == 200 and "Check your email" in html and "ann@example.org" in html
    found = subscriber(db, "ann@example.org")
    assert found is not None and found.confirmed_at is None
    assert confirmation_link(db, "ann@example.org").startswith("/status/confirm/")


def test_the_answer_is_the_same_for_an_address_that_is_subscribed_already(
    client: FlaskClient, db: Database, mail_public: None
) -> None:
    ask(client, "ann@example.org")
    link = confirmation_link(db, "ann@example.org")
    client.post(link, data={"csrf_token": csrf_token(client.get(link).get_data(as_text=True))})
    assert subscriber(db, "ann@example.org").confirmed_at is not None  # type: ignore[union-attr]
    _, again = ask(client, "ann@example.org")
    _, stranger = ask(client, "bob@example.org")
    assert again.replace("ann@", "X@") == stranger.replace("bob@", "X@")
    with db.read() as session:
        owed = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "status_confirmation"))
        assert sorted(owed) == ["ann@example.org", "bob@example.org"]


def test_following_the_confirmation_link_changes_nothing_until_the_button_is_pressed(
    client: FlaskClient, db: Database, mail_public: None
) -> None:
    ask(client, "ann@example.org")
    link = confirmation_link(db, "ann@example.org")
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Yes, send me updates" in html
    assert subscriber(db, "ann@example.org").confirmed_at is None  # type: ignore[union-attr]
    pressed = client.post(link, data={"csrf_token": csrf_token(html)})
    assert pressed.status_code == 200 and "Confirmed: ann@example.org" in pressed.get_data(as_text=True)
    assert subscriber(db, "ann@example.org").confirmed_at is not None  # type: ignore[union-attr]


def test_a_confirmation_without_the_pages_csrf_token_changes_nothing(
    client: FlaskClient, db: Database, mail_public: None
) -> None:
    ask(client, "ann@example.org")
    answer = client.post(confirmation_link(db, "ann@example.org"), data={})
    assert answer.status_code == 400 and "press the button again" in answer.get_data(as_text=True)
    assert subscriber(db, "ann@example.org").confirmed_at is None  # type: ignore[union-attr]


def test_a_changed_link_is_400_and_an_expired_one_410(client: FlaskClient, settings: Settings, db: Database) -> None:
    with db.transaction() as session:
        session.add(StatusSubscriber(email="ann@example.org"))
    old = status_subscriptions.CONFIRM.sign(settings.secret_key, 1, "ann@example.org", now=utcnow() - timedelta(days=8))
    assert client.get(f"/status/confirm/{old}").status_code == 410
    leave = status_subscriptions.LEAVE.sign(settings.secret_key, 1, "ann@example.org")
    assert client.get(f"/status/confirm/{leave}").status_code == 400  # made for the other page
    assert client.get(f"/status/unsubscribe/{leave[:-2]}").status_code == 400


@pytest.mark.parametrize("typed", ["ann", "ann@example.org, bob@example.org", HOSTILE])
def test_anything_but_one_address_is_refused_with_the_form_again_and_shown_escaped(
    client: FlaskClient, db: Database, mail_public: None, typed: str
) -> None:
    code, html = ask(client, typed)
    assert code == 400 and "Enter one email address" in html and 'name="email"' in html
    assert "<script>" not in html
    with db.read() as session:
        assert session.scalar(select(StatusSubscriber.id)) is None


def test_a_form_without_its_csrf_token_is_refused(client: FlaskClient, db: Database, mail_public: None) -> None:
    answer = client.post("/status/subscribe", data={"email": "ann@example.org"})
    assert answer.status_code == 400 and subscriber(db, "ann@example.org") is None


def test_asking_past_the_hourly_limit_gets_429_and_owes_no_mail(
    settings: Settings, db: Database, redis_url: str, mail_public: None, steady_limit_clock: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr("web.ratelimit.SUBSCRIBE_IN_ALL", 3)  # the real limit, 300, takes 300 requests to reach
    client = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    for n in range(3):
        assert ask(client, f"person{n}@example.org")[0] == 200
    code, html = ask(client, "one-too-many@example.org")
    assert code == 429 and "Please wait a little" in html
    assert subscriber(db, "one-too-many@example.org") is None


def leave_link(settings: Settings, db: Database, address: str) -> str:
    with db.transaction() as session:
        row = StatusSubscriber(email=address, confirmed_at=utcnow())
        session.add(row)
        session.flush()
        return f"/status/unsubscribe/{status_subscriptions.LEAVE.sign(settings.secret_key, row.id, address)}"


def test_the_unsubscribe_link_shows_a_button_and_pressing_it_ends_the_updates(
    client: FlaskClient, settings: Settings, db: Database, mail_public: None
) -> None:
    link = leave_link(settings, db, "ann@example.org")
    page = client.get(link).get_data(as_text=True)
    assert "Stop the updates" in page and subscriber(db, "ann@example.org") is not None
    done = client.post(link)
    assert done.status_code == 200 and "gets no more status updates" in done.get_data(as_text=True)
    assert subscriber(db, "ann@example.org") is None
    assert client.post(link).status_code == 200  # again: nothing to end, and the answer is the same


def test_a_mail_providers_one_click_post_unsubscribes_without_cookies_or_a_csrf_token(
    client: FlaskClient, settings: Settings, db: Database, mail_public: None
) -> None:
    link = leave_link(settings, db, "ann@example.org")
    answer = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and subscriber(db, "ann@example.org") is None


def test_an_unsubscribe_link_does_not_end_a_newer_subscription_of_someone_else(
    client: FlaskClient, settings: Settings, db: Database, mail_public: None
) -> None:
    link = leave_link(settings, db, "ann@example.org")
    client.post(link)
    leave_link(settings, db, "bob@example.org")  # may take the row id ann had
    client.post(link)
    assert subscriber(db, "bob@example.org") is not None


def test_the_subscribe_page_has_its_own_csrf_token_per_browser(
    app_client_pair: tuple[FlaskClient, FlaskClient], mail_public: None
) -> None:
    first, second = app_client_pair
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', c.get("/status/subscribe").get_data(as_text=True))
              for c in (first, second)]  # fmt: skip
    assert all(tokens) and tokens[0].group(1) != tokens[1].group(1)  # type: ignore[union-attr]


# -- which services ------------------------------------------------------------------------------------------------


@pytest.fixture
def two_public(db: Database, mail_public: None) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="vpn", public=True)


def test_confirming_with_some_services_ticked_keeps_that_choice(
    client: FlaskClient, db: Database, two_public: None
) -> None:
    ask(client, "ann@example.org")
    link = confirmation_link(db, "ann@example.org")
    page = client.get(link).get_data(as_text=True)
    assert 'name="service" value="mail" checked' in page and 'name="service" value="vpn" checked' in page
    done = client.post(link, data={"csrf_token": csrf_token(page), "choosing": "1", "service": ["vpn"]})
    assert done.status_code == 200 and "when the status of vpn changes" in done.get_data(as_text=True)
    assert subscriber(db, "ann@example.org").services == ["vpn"]  # type: ignore[union-attr]


def test_confirming_with_no_service_ticked_confirms_nothing(
    client: FlaskClient, db: Database, two_public: None
) -> None:
    ask(client, "ann@example.org")
    link = confirmation_link(db, "ann@example.org")
    page = client.get(link).get_data(as_text=True)
    refused = client.post(link, data={"csrf_token": csrf_token(page), "choosing": "1"})
    assert refused.status_code == 400 and "choose at least one service" in refused.get_data(as_text=True)
    assert subscriber(db, "ann@example.org").confirmed_at is None  # type: ignore[union-attr]


def test_an_updates_link_changes_the_services_and_still_stops_them_all(
    client: FlaskClient, settings: Settings, db: Database, two_public: None
) -> None:
    link = leave_link(settings, db, "ann@example.org")
    page = client.get(link).get_data(as_text=True)
    assert "Stop the updates" in page and 'value="vpn" checked' in page
    saved = client.post(f"{link}/services", data={"csrf_token": csrf_token(page), "choosing": "1", "service": "mail"},
                        follow_redirects=True)  # fmt: skip
    assert "Saved: ann@example.org hears about mail." in saved.get_data(as_text=True)
    assert subscriber(db, "ann@example.org").services == ["mail"]  # type: ignore[union-attr]
    assert client.post(f"{link}/services", data={"choosing": "1", "service": "vpn"}).status_code == 400  # no token
    client.post(link)
    assert subscriber(db, "ann@example.org") is None
    assert "gets no more status updates" in client.get(link).get_data(as_text=True)
