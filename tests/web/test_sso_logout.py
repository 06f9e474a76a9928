"""Logging out of a session the provider logged in: when its discovery names an end_session_endpoint, "Log out"
ends the provider's session too (RP-Initiated Logout 1.0) and the provider sends the browser back to the login
page; otherwise, and after a password login, it ends Switchboard's session only, as it always did."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.oidc_provider import Person, Provider
from tests.web.helpers import Login, csrf_token, log_in

# Fixtures (the provider, settings that log in through it, apps with other settings) and a browser's steps:
from tests.web.sso_fixtures import (  # noqa: F401
    PUBLIC,
    apps_with_other_settings,
    logged_in_as,
    running_provider,
    settings_with_a_provider,
    through_provider,
)
from web.auth import END_SESSION
from web.sso_flow import HINT_MAX

#: Browsers keep a cookie whose name and value together are at most this long, and drop a longer one.
COOKIE_MAX = 4096


def log_out(client: FlaskClient) -> TestResponse:
    """Press "Log out" in the top bar: a POST with the page's CSRF token."""
    return client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").get_data(as_text=True))})


def asked_of_provider(response: TestResponse, provider: Provider) -> dict[str, list[str]]:
    """What a redirect to the provider's end_session_endpoint asks it."""
    to = urlsplit(response.headers["Location"])
    assert f"{to.scheme}://{to.netloc}{to.path}" == f"{provider.issuer}/logout", response.headers["Location"]
    return parse_qs(to.query)


def session_cookie(client: FlaskClient, response: TestResponse) -> str:
    """`<name>=<value>` of the session cookie the response sets: the part browsers count against their limit."""
    name = client.application.config["SESSION_COOKIE_NAME"]
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    return cookie.split(";", 1)[0]


def test_logging_out_ends_the_providers_session_and_comes_back_to_the_login_page(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    through_provider(client)
    out = log_out(client)
    asked = asked_of_provider(out, provider)
    assert asked["post_logout_redirect_uri"] == [f"{PUBLIC}/login"] and asked["client_id"] == ["switchboard"]
    assert asked["id_token_hint"]
    assert logged_in_as(client) is None  # ended here before the browser reaches the provider
    back = requests.get(out.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"] == f"{PUBLIC}/login"  # the provider took the hint
    assert "You have been logged out." in client.get("/login").get_data(as_text=True)


def test_without_an_end_session_endpoint_logging_out_stays_here(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    provider.end_session = False
    through_provider(client)
    with client.session_transaction() as session:
        assert END_SESSION not in session  # no ID token kept for nothing
    out = log_out(client)
    assert out.headers["Location"] == "/login"
    assert logged_in_as(client) is None and provider.logouts == []


def test_a_password_login_logs_out_here_only(client: FlaskClient, user: Login, provider: Provider) -> None:
    log_in(client, user)
    assert log_out(client).headers["Location"] == "/login"
    assert provider.logouts == []


def test_the_longest_id_token_kept_for_logging_out_fits_the_cookie(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    groups: list[str] = []
    while len(provider.id_token("n" * 30, "s" * 16)) < HINT_MAX - 60:  # a nonce and sid as long as real ones
        groups.append(secrets.token_hex(8))  # random, as ids are: a token of them compresses little in the cookie
        provider.person = Person(groups=groups)
    login = through_provider(client)
    assert len(session_cookie(client, login)) < COOKIE_MAX - 1000  # room still for flashed messages
    assert asked_of_provider(log_out(client), provider)["id_token_hint"]


def test_an_id_token_too_long_for_the_cookie_is_not_kept_and_the_client_id_names_us(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    provider.person = Person(groups=[f"5e1c7a2b-0000-4000-8000-{n:012}" for n in range(150)])  # Entra's group ids
    login = through_provider(client)
    assert len(session_cookie(client, login)) < COOKIE_MAX - 1000
    out = log_out(client)
    asked = asked_of_provider(out, provider)
    assert "id_token_hint" not in asked and asked["client_id"] == ["switchboard"]
    back = requests.get(out.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"] == f"{PUBLIC}/login"


def test_pages_let_the_logout_form_go_on_to_the_providers_site(client: FlaskClient, provider: Provider) -> None:
    # Browsers hold a form's redirects to form-action: with 'self' alone, "Log out" would stop at the provider.
    assert f"form-action 'self' {provider.issuer};" in client.get("/login").headers["Content-Security-Policy"]


def test_an_end_session_endpoint_on_another_site_is_not_used(
    client: FlaskClient, user: Login, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    provider.end_session_site = f"http://localhost:{provider.port}"  # the same server, but another origin
    with caplog.at_level(logging.WARNING, logger="web.sso"):
        through_provider(client)
    assert "is on another site: logging out ends sessions here only" in caplog.text
    assert log_out(client).headers["Location"] == "/login"
    assert logged_in_as(client) is None and provider.logouts == []
