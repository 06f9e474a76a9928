"""Each person's mail choices through the API (`/api/v1/users/<email>/mail-choices`): an admin token reads and sets
them with the account page's values, audited as the page's changes are."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub import accounts, mail_choices
from hub.audit import recent
from hub.config import Settings
from hub.db import Database
from hub.mail_choices import DEFAULTS, MailChoices
from tests.docs import fenced, run_as_printed
from tests.web.helpers import Login, log_in

BOB = "bob@example.com"
EVERYTHING_ON = {
    "assigned_up_to": 5,
    "mentioned": True,
    "watching": True,
    "replies": True,
    "sla_warnings": True,
    "steps": True,
}


@pytest.fixture
def bob(make_user: Callable[..., Login]) -> Login:
    return make_user(BOB)


@pytest.fixture
def admin_token(db: Database, bob: Login) -> str:
    """A token of the admin role, and Bob, whose choices it reads and sets."""
    with db.transaction() as session:
        return accounts.create_token(session, name="onboarding", role="admin")


def call(client: FlaskClient, token: str, method: str, body: Any = None, email: str = BOB) -> TestResponse:
    return client.open(f"/api/v1/users/{email}/mail-choices", method=method, json=body,
                       headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def choices_of(db: Database, email: str = BOB) -> MailChoices:
    with db.read() as session:
        return mail_choices.of(session, email)


def test_a_user_who_never_chose_gets_everything(client: FlaskClient, admin_token: str) -> None:
    answer = call(client, admin_token, "GET")
    assert (answer.status_code, answer.json) == (200, EVERYTHING_ON)


def test_a_patch_changes_only_what_it_names_and_is_audited_by_the_token(
    client: FlaskClient, admin_token: str, db: Database
) -> None:
    answer = call(client, admin_token, "PATCH", {"assigned_up_to": 2, "watching": False}, email="Bob@Example.com")
    assert (answer.status_code, answer.json) == (200, {**EVERYTHING_ON, "assigned_up_to": 2, "watching": False})
    assert choices_of(db) == MailChoices(assigned_up_to=2, watching=False)
    with db.read() as session:
        [entry] = recent(session, action="user.mail")
    assert (entry.actor, entry.target, entry.detail) == ("token:onboarding", BOB, {"assigned_up_to": 2,
                                                                                  "watching": False})  # fmt: skip


def test_a_put_sets_every_choice(client: FlaskClient, admin_token: str, db: Database) -> None:
    call(client, admin_token, "PATCH", {"mentioned": False})
    chosen = {
        "assigned_up_to": 0,
        "mentioned": True,
        "watching": False,
        "replies": False,
        "sla_warnings": True,
        "steps": True,
    }
    answer = call(client, admin_token, "PUT", chosen)
    assert (answer.status_code, answer.json) == (200, chosen)
    assert choices_of(db) == MailChoices(assigned_up_to=0, watching=False, replies=False)


def test_a_put_missing_a_choice_is_refused_naming_it_and_changes_nothing(
    client: FlaskClient, admin_token: str, db: Database
) -> None:
    answer = call(client, admin_token, "PUT", {"assigned_up_to": 1, "mentioned": False})
    assert answer.status_code == 400
    assert answer.json == {"error": "send every choice (watching, replies, sla_warnings, steps missing), or PATCH "
                                    "only those that change"}  # fmt: skip
    assert choices_of(db) == DEFAULTS


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"assigned_up_to": 6}, "'assigned_up_to' is a whole number from 0 (never) to 5 (P1 to P5: every priority)"),
        ({"assigned_up_to": "2"}, "'assigned_up_to' is a whole number from 0 (never) to 5 (P1 to P5: every priority)"),
        ({"assigned_up_to": True}, "'assigned_up_to' is a whole number from 0 (never) to 5 (P1 to P5: every priority)"),
        ({"mentioned": "no", "replies": 0}, "'mentioned', 'replies' are true or false"),
        ({"escalations": False}, "unknown choice(s) escalations; the choices are assigned_up_to, mentioned, "
                                 "watching, replies, sla_warnings, steps"),  # pages have no switch
        ({}, "send any of the choices: assigned_up_to, mentioned, watching, replies, sla_warnings, steps"),
        (["mentioned"], 'send a JSON object of choices, like {"assigned_up_to": 2, "watching": false}'),
    ],
)  # fmt: skip
def test_what_the_account_page_does_not_offer_is_refused_and_changes_nothing(
    client: FlaskClient, admin_token: str, db: Database, body: Any, error: str
) -> None:
    answer = call(client, admin_token, "PATCH", body)
    assert (answer.status_code, answer.json) == (400, {"error": error})
    assert choices_of(db) == DEFAULTS
    with db.read() as session:
        assert recent(session, action="user.mail") == []


def test_choosing_what_was_chosen_already_is_not_audited(client: FlaskClient, admin_token: str, db: Database) -> None:
    assert call(client, admin_token, "PUT", EVERYTHING_ON).status_code == 200
    with db.read() as session:
        assert recent(session, action="user.mail") == []


def test_an_address_that_is_no_users_is_404(client: FlaskClient, admin_token: str, db: Database) -> None:
    for method, body in (("GET", None), ("PATCH", {"mentioned": False})):
        answer = call(client, admin_token, method, body, email="nobody@example.com")
        assert answer.status_code == 404
        assert answer.json == {"error": "there is no user 'nobody@example.com'; the users page (/users) lists who "
                                        "there is"}  # fmt: skip


def test_the_account_page_shows_what_the_api_set(client: FlaskClient, admin_token: str, bob: Login) -> None:
    call(client, admin_token, "PATCH", {"assigned_up_to": 1, "sla_warnings": False})
    browser = client.application.test_client()
    log_in(browser, bob)
    page = browser.get("/account").get_data(as_text=True)
    assert '<option selected value="1">Only P1</option>' in page and page.count("checked") == 4


def test_the_documented_calls_read_narrow_and_restore_bobs_choices(
    live_url: str, admin_token: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    [block] = fenced("docs/notifications.md", "Mail choices through the API", "sh")
    printed = run_as_printed(block.replace("http://127.0.0.1:8000", live_url), settings, tmp_path, TOKEN=admin_token)
    answers = [json.loads(line) for line in printed.replace("}{", "}\n{").splitlines()]
    assert answers == [EVERYTHING_ON, {**EVERYTHING_ON, "assigned_up_to": 2, "watching": False}, EVERYTHING_ON]
    with db.read() as session:
        assert len(recent(session, action="user.mail")) == 2
    assert choices_of(db) == DEFAULTS
