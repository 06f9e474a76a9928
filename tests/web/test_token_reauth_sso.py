"""After a login through the identity provider there is no password to type again, so making a personal API token
wants that login to be recent (web/account.py), and the page offers to log in again through the provider."""

from __future__ import annotations

import time

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub.db import Database
from hub.models import ApiToken
from tests.oidc_provider import Provider
from tests.web.helpers import Login, csrf_token

# Fixtures (the provider, apps with other settings) and a browser's steps:
from tests.web.sso_fixtures import (  # noqa: F401
    apps_with_other_settings,
    running_provider,
    settings_with_a_provider,
    through_provider,
)
from web.account import RECENT_LOGIN_SECONDS
from web.auth import LOGGED_IN_AT

AGAIN = "/login/sso?again=1&next=/account%23tokens"


def make_token(client: FlaskClient) -> TestResponse:
    form = csrf_token(client.get("/incidents").get_data(as_text=True))
    return client.post("/account/tokens", data={"csrf_token": form, "token_name": "laptop"})


def login_ages(client: FlaskClient, seconds: float) -> None:
    with client.session_transaction() as session:
        session[LOGGED_IN_AT] = time.time() - seconds


def tokens_made(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(ApiToken.name)))


def test_a_recent_login_through_the_provider_makes_a_token_without_a_password(
    client: FlaskClient, user: Login, provider: Provider, db: Database
) -> None:
    through_provider(client)
    assert make_token(client).status_code == 303 and tokens_made(db) == ["laptop"]


def test_an_older_login_through_the_provider_is_offered_to_log_in_again_and_makes_no_token(
    client: FlaskClient, user: Login, provider: Provider, db: Database
) -> None:
    through_provider(client)
    login_ages(client, RECENT_LOGIN_SECONDS + 1)
    answer = make_token(client)
    assert answer.status_code == 400 and tokens_made(db) == []
    assert 'href="/login/sso?again=1&amp;next=/account%23tokens"' in answer.get_data(as_text=True)


def test_logging_in_again_asks_the_provider_for_a_fresh_login_and_then_makes_a_token(
    client: FlaskClient, user: Login, provider: Provider, db: Database
) -> None:
    through_provider(client)
    login_ages(client, RECENT_LOGIN_SECONDS + 1)
    assert "prompt=login" in client.get(AGAIN).headers["Location"]
    assert through_provider(client, AGAIN).headers["Location"] == "/account#tokens"
    assert make_token(client).status_code == 303 and tokens_made(db) == ["laptop"]
