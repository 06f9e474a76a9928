"""A personal API token outlives the session that made it (a logout, a new password, the session's max age), so
making one on the account page wants the password typed again (web/account.py); tests/web/test_token_reauth_sso.py
has the single sign-on side."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub.db import Database
from hub.models import ApiToken
from tests.web.helpers import Login, csrf_token, log_in


def make_token(client: FlaskClient, **fields: str) -> TestResponse:
    form = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post("/account/tokens", data={"csrf_token": form, "token_name": "laptop", **fields})


def tokens_made(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(ApiToken.name)))


def test_a_token_is_not_made_without_the_password_typed_again(logged_in: FlaskClient, db: Database) -> None:
    answer = make_token(logged_in)
    assert answer.status_code == 400 and tokens_made(db) == []


def test_a_token_is_not_made_with_a_wrong_password_and_the_page_says_so(logged_in: FlaskClient, db: Database) -> None:
    answer = make_token(logged_in, password="not my password")
    assert answer.status_code == 400 and "That is not your password" in answer.get_data(as_text=True)
    assert tokens_made(db) == []


def test_a_token_is_made_with_the_password(logged_in: FlaskClient, user: Login, db: Database) -> None:
    assert make_token(logged_in, password=user.password).status_code == 303  # to the page showing it once
    assert tokens_made(db) == ["laptop"]


def test_guessing_the_password_on_the_token_form_is_limited_like_logging_in(
    counting_client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    user, client = make_user(), counting_client
    log_in(client, user)
    for _ in range(5):
        assert make_token(client, password="a guess").status_code == 400
    locked = make_token(client, password=user.password)
    assert "Too many wrong passwords" in locked.get_data(as_text=True) and tokens_made(db) == []
