"""The userinfo endpoint: asked, with the login's access token, only for what the provider's ID token left out (the
address, or the groups a role map reads), and its answer used only when it is about the token's subject."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from hub.role_map import parse
from tests.oidc_provider import Person, Provider
from tests.web.helpers import Login

# Fixtures (the provider, settings that log in through it, apps with other settings) and a browser's steps:
from tests.web.sso_fixtures import (  # noqa: F401
    apps_with_other_settings,
    logged_in_as,
    refused,
    running_provider,
    settings_with_a_provider,
    through_provider,
)

MAP = parse("switchboard-admins=admin,helpdesk=agent")


def test_an_address_left_out_of_the_id_token_is_taken_from_userinfo(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    provider.only_in_userinfo = frozenset({"email", "email_verified"})
    assert through_provider(client).headers["Location"] == "/incidents"
    assert logged_in_as(client) == user.email
    assert provider.userinfo_asked == 1


def test_an_id_token_with_the_address_asks_userinfo_nothing(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    through_provider(client)
    assert logged_in_as(client) == user.email and provider.userinfo_asked == 0


def test_userinfo_saying_the_address_is_unverified_is_refused(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    provider.person = Person(email_verified=False)
    provider.only_in_userinfo = frozenset({"email", "email_verified"})
    refused(through_provider(client), 403, "says your address agent@example.com is not verified")
    assert logged_in_as(client) is None


def test_groups_left_out_of_the_id_token_are_taken_from_userinfo(
    app_with: Callable[..., Flask], make_user: Callable[..., Login], user: Login, provider: Provider
) -> None:
    client = app_with(role_map=MAP).test_client()
    provider.person = Person(groups=["switchboard-admins"])
    provider.only_in_userinfo = frozenset({"groups"})
    through_provider(client)
    assert logged_in_as(client) == user.email
    assert client.get("/users").status_code == 200  # an admin now
    assert provider.userinfo_asked == 1


def test_a_userinfo_answer_about_someone_else_is_refused(client: FlaskClient, user: Login, provider: Provider) -> None:
    provider.only_in_userinfo = frozenset({"email", "email_verified"})
    provider.userinfo_sub = "someone-else"  # the token is about the person, userinfo's answer about another
    refused(through_provider(client), 400, "could not verify what Example SSO sent")
    assert logged_in_as(client) is None
    assert provider.userinfo_asked == 1


def test_without_a_userinfo_endpoint_a_token_without_an_address_is_refused_as_before(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    provider.userinfo = False
    provider.only_in_userinfo = frozenset({"email", "email_verified"})
    refused(through_provider(client), 403, "did not say which email address you have")
    assert provider.userinfo_asked == 0


def test_a_userinfo_endpoint_refusing_the_access_token_is_a_login_to_start_again(
    client: FlaskClient, user: Login, provider: Provider
) -> None:
    provider.only_in_userinfo = frozenset({"email", "email_verified"})
    provider.revoked = True
    refused(through_provider(client), 400, "Example SSO did not confirm this login. Start again")
    assert logged_in_as(client) is None
