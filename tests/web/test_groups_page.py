"""Admins keep the groups rules assign within on the groups page; changes are audited."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub import accounts, audit, groups
from hub.db import Database
from tests.web.helpers import Login, add_people, csrf_token, log_in


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


def add_member(client: FlaskClient, group: str, who: str) -> TestResponse:
    """The group row's member field, as a browser without script sends what was typed in it."""
    page = client.get("/groups").get_data(as_text=True)
    return client.post(f"/groups/{group}/members", data={"csrf_token": csrf_token(page), "who": who})


def members_of(db: Database, name: str) -> tuple[str, ...]:
    with db.read() as session:
        return next(g.members for g in groups.list_groups(session) if g.name == name)


def test_the_page_lists_the_members_and_no_one_else_of_a_large_desk(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    people = add_people(db, 300)
    with db.transaction() as session:
        groups.save_group(session, "dba", [people[7]])
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    assert '<td data-label="Members">user007@example.com</td>' in page
    assert "user150@example.com" not in page and "<option" not in page  # typed, and suggested by the script
    assert '<datalist id="people" data-suggest="/suggest/assignees?groups=no"></datalist>' in page


def test_a_member_is_added_last_in_the_rota_by_the_address_typed(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    people = add_people(db, 300)
    with db.transaction() as session:
        groups.save_group(session, "dba", [people[7]])
    answer = add_member(admin(client, make_user), "dba", " User150@Example.com ")
    assert answer.status_code == 302
    assert "Group dba: user007@example.com, user150@example.com." in client.get("/groups").get_data(as_text=True)
    assert members_of(db, "dba") == ("user007@example.com", "user150@example.com")
    with db.read() as session:
        [entry] = audit.recent(session, action="group.member.add")
    members = ["user007@example.com", "user150@example.com"]
    assert (entry.target, entry.detail) == ("dba", {"member": "user150@example.com", "members": members})


def test_a_member_who_is_not_an_active_agent_or_admin_is_refused_and_nothing_changes(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    add_people(db, 3)
    with db.transaction() as session:
        groups.save_group(session, "dba", ["user000@example.com"])
        accounts.change_user(session, "user001@example.com", active=False)
    admin(client, make_user)
    refusals = {
        "nobody@example.com": "dba&#39;s members unchanged: no one here has the address nobody@example.com; an admin "
        "adds them on the Users page first.",
        "user001@example.com": "dba&#39;s members unchanged: user001@example.com is deactivated; an admin turns them "
        "back on on the Users page, or pick someone else.",
        "user000@example.com": "dba&#39;s members unchanged: user000@example.com is in dba already.",
    }
    for who, said in refusals.items():
        add_member(client, "dba", who)
        assert said in client.get("/groups").get_data(as_text=True)
    assert members_of(db, "dba") == ("user000@example.com",)
    with db.read() as session:
        assert audit.recent(session, action="group.member.add") == []


def test_a_member_added_to_a_group_that_is_gone_is_refused(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    add_member(admin(client, make_user), "dba", "root@example.com")
    page = client.get("/groups").get_data(as_text=True)
    assert "dba&#39;s members unchanged: there is no group &#39;dba&#39;; make it first with its members." in page
