"""Admins keep the groups rules assign within on the groups page; changes are audited."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from tests.web.helpers import Login, csrf_token, log_in


def admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def test_a_group_is_saved_with_its_members_in_rota_order(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    client.post("/groups", data={"csrf_token": csrf_token(page), "name": "dba",
                                 "members": "Bob@Example.com\nann@example.com"})  # fmt: skip
    listed = client.get("/groups").get_data(as_text=True)
    assert "bob@example.com, ann@example.com" in listed
    assert "<code>group.set</code>" in client.get("/audit").get_data(as_text=True)


def test_a_member_that_is_not_an_email_is_refused(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    answer = client.post("/groups", data={"csrf_token": csrf_token(page), "name": "dba", "members": "bob"})
    assert "members are email addresses" in answer.get_data(as_text=True)


def test_a_group_can_be_removed(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    client.post("/groups", data={"csrf_token": csrf_token(page), "name": "dba", "members": "a@example.com"})
    client.post("/groups/dba/remove", data={"csrf_token": csrf_token(page)})
    assert "No groups yet." in client.get("/groups").get_data(as_text=True)


def test_a_group_named_with_a_slash_is_removed_by_its_button(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    client.post("/groups", data={"csrf_token": csrf_token(page), "name": "ops/eu", "members": "a@example.com"})
    listed = client.get("/groups").get_data(as_text=True)
    [action] = re.findall(r'action="([^"]*/remove)"', listed)
    assert action == "/groups/ops/eu/remove"
    assert client.post(action, data={"csrf_token": csrf_token(listed)}).status_code == 302
    assert "No groups yet." in client.get("/groups").get_data(as_text=True)


def test_a_new_group_named_like_an_address_is_refused(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    answer = client.post("/groups", data={"csrf_token": csrf_token(page), "name": "ops@eu", "members": "a@example.com"})
    assert "a group&#39;s name has no @" in answer.get_data(as_text=True)
    assert "No groups yet." in client.get("/groups").get_data(as_text=True)
