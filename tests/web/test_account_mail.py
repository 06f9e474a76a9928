"""The account page's "Mail me": each person chooses which mail the desk sends them, saved and audited, and the
mail no one may turn off has no field, so no forged post turns it off."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub import mail_choices
from hub.audit import recent
from hub.db import Database
from hub.mail_choices import DEFAULTS, MailChoices
from hub.models import User
from tests.web.helpers import Login, csrf_token


def save(client: FlaskClient, **form: Any) -> TestResponse:
    token = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post("/account/mail", data={"csrf_token": token, **form})


def chosen(db: Database, user: Login) -> MailChoices:
    with db.read() as session:
        return mail_choices.of(session, user.email)


def stored(db: Database, user: Login) -> Any:
    with db.read() as session:
        return session.scalar(select(User.mail_choices).where(User.email == user.email))


def test_the_page_offers_every_mail_on_and_says_what_cannot_be_turned_off(logged_in: FlaskClient) -> None:
    page = logged_in.get("/account").get_data(as_text=True)
    assert "Mail me" in page
    assert '<option selected value="5">Always, at any priority</option>' in page
    assert page.count('type="checkbox" value="y"') == 5 and page.count("checked") == 5
    assert "Always mailed, whatever you choose: escalation pages and the start of your on-call shifts" in page


def test_the_choice_is_saved_audited_and_shown_on_the_page(logged_in: FlaskClient, user: Login, db: Database) -> None:
    response = save(logged_in, assigned_up_to="2", mentioned="y", sla_warnings="y", steps="y")  # watching, replies off
    assert response.status_code == 303 and response.headers["Location"].endswith("/account#mail")
    assert chosen(db, user) == MailChoices(assigned_up_to=2, watching=False, replies=False)
    page = logged_in.get("/account").get_data(as_text=True)
    assert "Your mail choices are saved." in page
    assert '<option selected value="2">Only P1 and P2</option>' in page and page.count("checked") == 3
    with db.read() as session:
        [entry] = recent(session, action="user.mail")
    assert (entry.actor, entry.target) == (user.email, user.email)
    assert entry.detail == {"assigned_up_to": 2, "watching": False, "replies": False}


def test_choosing_the_defaults_again_leaves_nothing_stored(logged_in: FlaskClient, user: Login, db: Database) -> None:
    save(logged_in, assigned_up_to="1", mentioned="y", watching="y", replies="y", sla_warnings="y", steps="y")
    save(logged_in, assigned_up_to="5", mentioned="y", watching="y", replies="y", sla_warnings="y", steps="y")
    assert stored(db, user) is None and chosen(db, user) == DEFAULTS


def test_a_priority_the_form_does_not_offer_is_refused_and_nothing_changes(
    logged_in: FlaskClient, user: Login, db: Database
) -> None:
    response = save(logged_in, assigned_up_to="9", mentioned="y")
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert stored(db, user) is None
    with db.read() as session:
        assert recent(session, action="user.mail") == []


def test_a_forged_post_cannot_turn_off_escalation_pages_or_sla_breaches(
    logged_in: FlaskClient, user: Login, db: Database
) -> None:
    forged = {"escalated": "", "sla_breach": "", "on_call": "n", "assigned_up_to": "5", "mentioned": "y",
              "watching": "y", "replies": "y", "sla_warnings": "y", "steps": "y"}  # fmt: skip
    assert save(logged_in, **forged).status_code == 303
    assert stored(db, user) is None
    assert all(mail_choices.wants(chosen(db, user), kind, 5) for kind in ("escalated", "sla_breach", "on_call"))


def test_without_the_pages_csrf_token_nothing_is_saved(logged_in: FlaskClient, user: Login, db: Database) -> None:
    assert logged_in.post("/account/mail", data={"assigned_up_to": "0"}).status_code == 400
    assert stored(db, user) is None
