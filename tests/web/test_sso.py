"""Logging in with the organisation's OpenID Connect provider: the whole round trip over real HTTP to a real
provider on loopback (tests/oidc_provider.py), and each way its answer is refused."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, totp, two_factor
from hub.audit import recent
from hub.config import Settings
from hub.db import Database
from hub.models import User
from tests.conftest import KEYS
from tests.docs import fenced
from tests.oidc_provider import Person, Provider
from tests.web.helpers import Login, csrf_token, log_in

# Fixtures (the provider, settings that log in through it, apps with other settings) and a browser's steps:
from tests.web.sso_fixtures import (  # noqa: F401
    SECTION,
    apps_with_other_settings,
    callback_of,
    documented_settings,
    logged_in_as,
    refused,
    running_provider,
    settings_with_a_provider,
    through_provider,
)
from web import create_app
from web.auth import ADMINS_ONLY_FAILED
from web.services import services
from web.sso import backchannel_logout_url, callback_url, logged_out_url


def test_the_login_page_offers_the_provider_by_name(client: FlaskClient) -> None:
    page = client.get("/login?next=/account").get_data(as_text=True)
    assert "Log in with Example SSO" in page and 'href="/login/sso?next=/account"' in page


def test_without_a_provider_there_is_no_button_and_no_route(settings: Settings, db: Database) -> None:
    app = create_app(dataclasses.replace(settings, oidc=None), db=db)
    client = app.test_client()
    assert "Log in with" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404
    with app.app_context():
        services().close()


def test_logging_in_through_the_provider_lands_on_incidents(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    response = through_provider(client)
    assert response.status_code == 302 and response.headers["Location"] == "/incidents"
    assert logged_in_as(client) == user.email
    [asked] = provider.authorizations
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert asked["scope"] == "openid email" and asked["nonce"] and asked["state"]


def test_the_scopes_the_settings_add_are_asked_for(
    app_with: Callable[..., Flask], user: Login, provider: Provider
) -> None:
    through_provider(app_with(scopes=("openid", "email", "profile", "groups")).test_client())
    [asked] = provider.authorizations
    assert asked["scope"] == "openid email profile groups"


def test_the_page_asked_for_before_logging_in_is_where_it_ends(client: FlaskClient, user: Login) -> None:
    response = through_provider(client, "/login/sso?next=/account")
    assert response.headers["Location"] == "/account"


def test_a_next_page_on_another_site_is_not_followed(client: FlaskClient, user: Login) -> None:
    response = through_provider(client, "/login/sso?next=//evil.example/")
    assert response.headers["Location"] == "/incidents"


def test_the_address_matches_whatever_its_case(client: FlaskClient, user: Login, provider: Provider) -> None:
    provider.person = Person(email="Agent@Example.COM")
    through_provider(client)
    assert logged_in_as(client) == user.email


def test_an_answer_for_a_login_this_browser_did_not_start_is_refused(
    app: Flask, user: Login, provider: Provider
) -> None:
    attacker, victim = app.test_client(), app.test_client()
    callback = callback_of(attacker)  # the attacker's own code and state, sent to the victim as a link
    refused(victim.get(callback), 400, "Start again")
    assert logged_in_as(victim) is None


def test_a_state_that_was_changed_is_refused(client: FlaskClient, user: Login) -> None:
    callback = urlsplit(callback_of(client))
    code = parse_qs(callback.query)["code"][0]
    refused(client.get(f"/login/sso/callback?code={code}&state=forged"), 400, "Start again")
    assert logged_in_as(client) is None


def test_the_same_answer_twice_logs_in_once(client: FlaskClient, user: Login) -> None:
    callback = callback_of(client)
    assert client.get(callback).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").get_data(as_text=True))})
    refused(client.get(callback), 400, "Start again")
    assert logged_in_as(client) is None


def test_an_id_token_carrying_an_earlier_logins_nonce_is_refused(app: Flask, user: Login, provider: Provider) -> None:
    through_provider(app.test_client())
    provider.nonce = provider.authorizations[0]["nonce"]  # replayed into the next login
    client = app.test_client()
    refused(through_provider(client), 400, "could not verify what Example SSO sent")
    assert logged_in_as(client) is None


def test_a_token_signed_with_another_key_is_refused(client: FlaskClient, user: Login, provider: Provider) -> None:
    provider.other_key = True
    refused(through_provider(client), 400, "could not verify")
    assert logged_in_as(client) is None


def test_a_token_for_another_client_is_refused(client: FlaskClient, user: Login, provider: Provider) -> None:
    provider.audience = "some-other-app"
    refused(through_provider(client), 400, "could not verify")
    assert logged_in_as(client) is None


def test_an_expired_token_is_refused(client: FlaskClient, user: Login, provider: Provider) -> None:
    provider.lifetime = -600  # beyond the two minutes allowed for clocks that differ
    refused(through_provider(client), 400, "could not verify")
    assert logged_in_as(client) is None


def test_an_address_the_provider_says_is_unverified_is_refused(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    provider.person = Person(email_verified=False)
    refused(through_provider(client), 403, "says your address agent@example.com is not verified")
    assert logged_in_as(client) is None


def test_an_address_without_a_verified_flag_is_taken_as_the_directorys(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    provider.person = Person(email_verified=None)  # as Entra ID sends it
    through_provider(client)
    assert logged_in_as(client) == user.email


def test_a_token_without_an_address_is_refused(client: FlaskClient, user: Login, provider: Provider) -> None:
    provider.person = Person(email=None)
    refused(through_provider(client), 403, "did not say which email address you have")


def test_someone_without_an_account_is_told_to_ask_an_admin(
    client: FlaskClient, user: Login, provider: Provider, db: Database
) -> None:
    provider.person = Person(email="newcomer@example.com")
    refused(through_provider(client), 403, "no Switchboard account for newcomer@example.com. Ask an admin")
    with db.read() as session:
        assert session.scalar(select(User).where(User.email == "newcomer@example.com")) is None


def test_with_new_users_set_someone_without_an_account_gets_one_and_it_is_audited(
    app_with: Callable[..., Flask], provider: Provider, db: Database
) -> None:
    client = app_with(new_users="viewer").test_client()
    provider.person = Person(email="Newcomer@Example.com")
    assert through_provider(client).headers["Location"] == "/incidents"
    assert logged_in_as(client) == "newcomer@example.com"
    with db.read() as session:
        made = session.scalar(select(User).where(User.email == "newcomer@example.com"))
        assert made is not None and made.role == "viewer" and made.active
        [entry] = recent(session, action="user.create")
        assert (entry.actor, entry.target, entry.detail) == ("sso", "newcomer@example.com", {"role": "viewer"})


def test_a_disabled_user_is_refused_even_where_new_users_are_made(
    app_with: Callable[..., Flask], make_user: Callable[..., Login], db: Database
) -> None:
    make_user("boss@example.com", role="admin")
    gone = make_user()
    with db.transaction() as session:
        accounts.change_user(session, gone.email, active=False)
    client = app_with(new_users="agent").test_client()
    refused(through_provider(client), 403, "agent@example.com is switched off")
    assert logged_in_as(client) is None


def test_a_provider_that_cannot_be_reached_is_a_503_that_says_passwords_still_work(
    client: FlaskClient, provider: Provider
) -> None:
    provider.stop()
    response = client.get("/login/sso")
    refused(response, 503, "Example SSO cannot be reached just now")
    assert "Logging in with a password still works." in response.get_data(as_text=True)


def test_a_provider_that_goes_down_during_a_login_is_a_503(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    callback = callback_of(client)
    provider.stop()
    refused(client.get(callback), 503, "cannot be reached")
    assert logged_in_as(client) is None


def test_with_passwords_for_admins_only_the_503_says_so(app_with: Callable[..., Flask], closed_port: int) -> None:
    app = app_with(issuer=f"http://127.0.0.1:{closed_port}", only=True)  # nothing listens there
    refused(app.test_client().get("/login/sso"), 503, "Admins can still log in with their password.")


def test_a_discovery_document_for_another_issuer_is_not_used(
    app_with: Callable[..., Flask], provider: Provider
) -> None:
    app = app_with(issuer=provider.issuer + "/")  # the document says the issuer without the slash
    refused(app.test_client().get("/login/sso"), 503, "Switchboard cannot use Example SSO as it is set up")


def test_a_wrong_client_secret_is_refused_at_the_token_exchange(app_with: Callable[..., Flask], user: Login) -> None:
    client = app_with(client_secret="not-the-secret").test_client()
    refused(through_provider(client), 400, "Example SSO did not confirm this login")
    assert logged_in_as(client) is None


def test_an_error_from_the_provider_shows_its_code_but_not_its_text(client: FlaskClient) -> None:
    response = client.get("/login/sso/callback?error=access_denied&error_description=Call+0800+for+help&state=x")
    refused(response, 403, "did not log you in (access_denied)")
    assert "0800" not in response.get_data(as_text=True)


def test_a_login_through_the_provider_asks_for_no_authenticator_code(
    client: FlaskClient, user: Login, db: Database
) -> None:
    secret, now = totp.new_secret(), time.time()
    with db.transaction() as session:
        person = accounts.user_by_email(session, user.email)
        two_factor.turn_on(session, person.id, secret, totp.code_at(secret, totp.step_at(now)), now, keys=KEYS)
    assert log_in(client, user).headers["Location"].endswith("/login/code")  # a password still wants the code
    assert through_provider(app_client(client)).headers["Location"] == "/incidents"


def app_client(client: FlaskClient) -> FlaskClient:
    """A fresh browser on the same app."""
    return client.application.test_client()


def test_where_two_factor_is_required_a_provider_login_is_not_sent_to_set_it_up(
    app_with: Callable[..., Flask], user: Login
) -> None:
    app = app_with(two_factor_roles=frozenset({"agent"}))
    through_sso, with_password = app.test_client(), app.test_client()
    through_provider(through_sso)
    assert logged_in_as(through_sso) == user.email
    assert through_sso.get("/account/two-factor").status_code == 200  # may still turn it on, not told to
    assert "Every agent must use" not in through_sso.get("/account/two-factor").get_data(as_text=True)
    log_in(with_password, user)
    assert with_password.get("/incidents").headers["Location"].endswith("/account/two-factor")


def test_with_passwords_for_admins_only_others_are_refused_in_the_same_words(
    app_with: Callable[..., Flask], make_user: Callable[..., Login]
) -> None:
    app = app_with(only=True)
    agent, admin = make_user(), make_user("boss@example.com", role="admin")
    client = app.test_client()
    assert "Passwords are for admins only" in client.get("/login").get_data(as_text=True)
    right = log_in(client, agent)
    wrong = log_in(client, Login(agent.email, "not the password"))
    assert ADMINS_ONLY_FAILED in right.get_data(as_text=True) and ADMINS_ONLY_FAILED in wrong.get_data(as_text=True)
    assert logged_in_as(client) is None
    assert log_in(client, admin).headers["Location"] == "/incidents"
    assert logged_in_as(client) == admin.email


def test_the_documented_settings_start_and_name_the_documented_addresses(tmp_path: Path) -> None:
    documented = documented_settings(tmp_path)[0]
    assert documented.oidc is not None and documented.oidc.name == "Acme login"
    [addresses] = fenced("README.md", SECTION, "")
    assert addresses.split() == [
        callback_url(documented),
        logged_out_url(documented),
        backchannel_logout_url(documented),
    ]
