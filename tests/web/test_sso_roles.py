"""Roles from the provider's groups (SWITCHBOARD_OIDC_ROLE_MAP): every login through the real provider on loopback
sets the person's role from the groups its token lists, and someone whose groups give none is not let in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts
from hub.audit import recent
from hub.db import Database
from hub.models import User
from hub.role_map import parse
from tests.oidc_provider import Person, Provider
from tests.web.helpers import Login

# Fixtures (the provider, settings that log in through it, apps with other settings) and a browser's steps:
from tests.web.sso_fixtures import (  # noqa: F401
    apps_with_other_settings,
    documented_settings,
    logged_in_as,
    refused,
    running_provider,
    settings_with_a_provider,
    through_provider,
)

MAP = parse("switchboard-admins=admin,helpdesk=agent,*=viewer")
CLOSED_MAP = parse("switchboard-admins=admin,helpdesk=agent")  # no `*`: people in neither group are refused


@pytest.fixture
def mapped(app_with: Callable[..., Flask]) -> FlaskClient:
    """A browser on an app that takes roles from MAP."""
    return app_with(role_map=MAP).test_client()


def role_of(db: Database, email: str) -> str | None:
    with db.read() as session:
        return session.scalar(select(User.role).where(User.email == email))


def role_changes(db: Database) -> list[tuple[str, str, dict[str, object] | None]]:
    with db.read() as session:
        return [(e.actor, e.target, e.detail) for e in reversed(recent(session, action="user.role"))]


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["switchboard-admins"], "admin"),
        (["helpdesk"], "agent"),
        (["sales"], "viewer"),  # `*`
        ([], "viewer"),
        (["helpdesk", "switchboard-admins"], "admin"),  # the highest role wins, whatever the order
    ],
)
def test_the_groups_set_the_role_at_login(
    mapped: FlaskClient, user: Login, provider: Provider, db: Database, groups: list[str], role: str
) -> None:
    provider.person = Person(groups=groups)
    assert through_provider(mapped).headers["Location"] == "/incidents"
    assert logged_in_as(mapped) == user.email
    assert role_of(db, user.email) == role
    assert mapped.get("/users").status_code == (200 if role == "admin" else 403)  # the session has the role at once


def test_someone_whose_groups_give_no_role_is_refused_and_told_which_groups_would(
    app_with: Callable[..., Flask], user: Login, provider: Provider, db: Database
) -> None:
    client = app_with(role_map=CLOSED_MAP).test_client()
    provider.person = Person(groups=["sales", "switchboard-users"])
    refused(through_provider(client), 403, "Ask to be added to one of these groups: switchboard-admins, helpdesk")
    assert logged_in_as(client) is None
    assert role_of(db, user.email) == "agent" and role_changes(db) == []  # the account is left as it was


def test_a_token_listing_no_groups_at_all_is_refused_where_the_map_has_no_default(
    app_with: Callable[..., Flask], user: Login, provider: Provider
) -> None:
    client = app_with(role_map=CLOSED_MAP).test_client()
    provider.person = Person(groups=None)  # neither the ID token nor userinfo has the claim
    refused(through_provider(client), 403, "none of your groups there gives a role in Switchboard")
    assert logged_in_as(client) is None


def test_a_role_change_at_the_next_login_is_audited_as_by_sso(
    mapped: FlaskClient, make_user: Callable[..., Login], user: Login, provider: Provider, db: Database
) -> None:
    make_user("boss@example.com", role="admin")  # so that the agent may be an admin and stop being one
    provider.person = Person(groups=["helpdesk"])  # agent, as the account already is: nothing to record
    through_provider(mapped)
    assert role_changes(db) == []
    provider.person = Person(groups=["switchboard-admins"])
    through_provider(mapped.application.test_client())
    provider.person = Person(groups=["sales"])
    through_provider(mapped.application.test_client())
    assert role_changes(db) == [
        ("sso", user.email, {"role": "admin", "previous": "agent"}),
        ("sso", user.email, {"role": "viewer", "previous": "admin"}),
    ]


def test_the_last_active_admin_is_not_demoted_and_is_told_why(
    mapped: FlaskClient,
    make_user: Callable[..., Login],
    provider: Provider,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = make_user("boss@example.com", role="admin")
    provider.person = Person(email=admin.email, groups=["helpdesk"])
    with caplog.at_level(logging.WARNING, logger="web.sso"):
        assert through_provider(mapped).headers["Location"] == "/incidents"
    page = mapped.get("/incidents").get_data(as_text=True)
    assert "give the role agent here, but you are the last active admin, so you stay an admin" in page
    assert role_of(db, admin.email) == "admin" and role_changes(db) == []
    assert "kept boss@example.com an admin" in caplog.text
    assert mapped.get("/users").status_code == 200


def test_an_admin_who_is_not_the_last_is_demoted(
    mapped: FlaskClient, make_user: Callable[..., Login], provider: Provider, db: Database
) -> None:
    admin = make_user("boss@example.com", role="admin")
    make_user("other-boss@example.com", role="admin")
    provider.person = Person(email=admin.email, groups=["helpdesk"])
    through_provider(mapped)
    assert role_of(db, admin.email) == "agent"
    assert mapped.get("/users").status_code == 403


def test_a_disabled_account_is_refused_whatever_its_groups(
    mapped: FlaskClient, make_user: Callable[..., Login], provider: Provider, db: Database
) -> None:
    make_user("boss@example.com", role="admin")
    gone = make_user()
    with db.transaction() as session:
        accounts.change_user(session, gone.email, active=False)
    provider.person = Person(groups=["switchboard-admins"])
    refused(through_provider(mapped), 403, "agent@example.com is switched off")
    assert role_of(db, gone.email) == "agent"


def test_with_new_users_mapped_a_newcomer_gets_the_role_their_groups_give(
    app_with: Callable[..., Flask], provider: Provider, db: Database
) -> None:
    client = app_with(role_map=MAP, new_users="mapped").test_client()
    provider.person = Person(email="newcomer@example.com", groups=["switchboard-admins"])
    through_provider(client)
    assert logged_in_as(client) == "newcomer@example.com"
    assert role_of(db, "newcomer@example.com") == "admin"
    with db.read() as session:
        [entry] = recent(session, action="user.")
        assert (entry.actor, entry.action, entry.detail) == ("sso", "user.create", {"role": "admin"})


def test_without_new_users_a_newcomer_in_a_mapped_group_is_told_to_ask_an_admin(
    mapped: FlaskClient, provider: Provider, db: Database
) -> None:
    provider.person = Person(email="newcomer@example.com", groups=["helpdesk"])
    refused(through_provider(mapped), 403, "no Switchboard account for newcomer@example.com. Ask an admin")
    assert role_of(db, "newcomer@example.com") is None


def test_a_newcomer_whose_groups_give_no_role_gets_no_account(
    app_with: Callable[..., Flask], provider: Provider, db: Database
) -> None:
    client = app_with(role_map=CLOSED_MAP, new_users="mapped").test_client()
    provider.person = Person(email="newcomer@example.com", groups=["sales"])
    refused(through_provider(client), 403, "Ask to be added to one of these groups")
    assert role_of(db, "newcomer@example.com") is None


def test_the_groups_are_read_from_the_claim_named_in_the_settings(
    app_with: Callable[..., Flask], user: Login, provider: Provider, db: Database
) -> None:
    client = app_with(role_map=CLOSED_MAP, roles_claim="roles").test_client()
    provider.person = Person(groups=["switchboard-admins"])  # sent as `groups`, not `roles`
    refused(through_provider(client), 403, "none of your groups there gives a role")
    assert role_of(db, user.email) == "agent"


def test_without_a_map_the_groups_change_nothing(
    client: FlaskClient, user: Login, provider: Provider, db: Database
) -> None:
    provider.person = Person(groups=["switchboard-admins"])
    through_provider(client)
    assert logged_in_as(client) == user.email and role_of(db, user.email) == "agent"
    assert provider.userinfo_asked == 0


def test_the_documented_role_maps_start(tmp_path: Path) -> None:
    _, groups, entra = (settings.oidc for settings in documented_settings(tmp_path))
    assert groups is not None and (groups.role_map, groups.roles_claim, groups.new_users) == (MAP, "groups", "mapped")
    assert entra is not None and entra.role_map is not None and len(entra.role_map.groups) == 2
