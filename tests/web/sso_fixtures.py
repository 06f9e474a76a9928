"""Fixtures and steps for the single sign-on tests: a real OpenID Connect provider on loopback
(tests/oidc_provider.py), the app logging in through it, and a browser's round trip between them.

Import the fixtures into a test module (`provider`, `settings`, which replaces conftest's, and `app_with`).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.config import OidcSettings, Settings
from hub.db import Database
from tests.conftest import make_settings
from tests.docs import fenced
from tests.oidc_provider import Provider
from web import create_app
from web.services import services

PUBLIC = "http://switchboard.test"
SECTION = "Single sign-on (OpenID Connect)"  # the README's


def documented_settings(home: Path) -> list[Settings]:
    """The settings the README's section shows, as a reader pastes them: its first block of variables alone, then
    with each later one added to it."""
    first, *more = [block for block in fenced("README.md", SECTION, "sh") if block.startswith("SWITCHBOARD_")]
    return [_started(home, first, *extra) for extra in ((), *((block,) for block in more))]


def _started(home: Path, *blocks: str) -> Settings:
    environ = dict(line.split("=", 1) for block in blocks for line in shlex.split(block, comments=True))
    return Settings.from_env({**environ, "SWITCHBOARD_HOME": str(home), "SECRET_KEY": "k"})


@pytest.fixture(name="provider")
def running_provider() -> Iterator[Provider]:
    running = Provider(redirect_uri=f"{PUBLIC}/login/sso/callback").start()
    yield running
    running.stop()


@pytest.fixture(name="settings")
def settings_with_a_provider(tmp_path: Path, provider: Provider) -> Settings:
    """The module's app logs in through `provider` (the `app`, `client` and `make_user` fixtures build on it)."""
    oidc = OidcSettings(provider.issuer, provider.client_id, provider.client_secret, name="Example SSO")
    return make_settings(tmp_path / "var", public_url=PUBLIC, oidc=oidc)


@pytest.fixture(name="app_with")
def apps_with_other_settings(settings: Settings, db: Database) -> Iterator[Callable[..., Flask]]:
    """An app whose settings differ: `app_with(new_users="viewer")` changes the provider's settings, and
    `app_with(two_factor_roles=...)` the others."""
    made: list[Flask] = []

    def make(**changes: object) -> Flask:
        oidc_fields = {f.name for f in dataclasses.fields(OidcSettings)}
        oidc = dataclasses.replace(settings.oidc, **{k: v for k, v in changes.items() if k in oidc_fields})  # type: ignore[arg-type]
        rest = {k: v for k, v in changes.items() if k not in oidc_fields}
        app = create_app(dataclasses.replace(settings, oidc=oidc, **rest), db=db)  # type: ignore[arg-type]
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            services().close()


def callback_of(client: FlaskClient, start: str = "/login/sso") -> str:
    """Follow the login to the provider and back, as a browser would: the path and query it is sent back with."""
    began = client.get(start)
    assert began.status_code == 302, began.get_data(as_text=True)
    answer = requests.get(began.headers["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{PUBLIC}/login/sso/callback"
    return f"{back.path}?{back.query}"


def through_provider(client: FlaskClient, start: str = "/login/sso") -> TestResponse:
    return client.get(callback_of(client, start))


def logged_in_as(client: FlaskClient) -> str | None:
    """The address the top bar shows, or None when the incidents page sends the browser to log in."""
    page = client.get("/incidents")
    if page.status_code != 200:
        return None
    text = page.get_data(as_text=True)
    return text.split('class="account-email"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def refused(response: TestResponse, status: int, words: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert words in text, text
