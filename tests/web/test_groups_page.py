"""Admins keep the groups rules assign within on the groups page; changes are audited."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub import accounts, audit, groups
from hub.db import Database
from tests.staff import agents, deactivate
from tests.web.helpers import Login, add_people, csrf_token, log_in


def admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def test_a_group_is_saved_with_its_members_in_rota_order(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    agents(db, "ann@example.com", "bob@example.com")
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    client.post("/groups", data={"csrf_token": csrf_token(page), "name": "dba",
                                 "members": "Bob@Example.com\nann@example.com"})  # fmt: skip
    assert "Group dba: bob@example.com, ann@example.com." in client.get("/groups").get_data(as_text=True)
    assert members_of(db, "dba") == ("bob@example.com", "ann@example.com")
    assert "<code>group.set</code>" in client.get("/audit").get_data(as_text=True)


def test_members_typed_in_the_box_who_cannot_answer_a_page_are_refused_each_named_and_nothing_changes(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    agents(db, "reader@example.com", role="viewer")
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    typed = "root@example.com\nbob\nnobody@example.com, reader@example.com"
    answer = client.post("/groups", data={"csrf_token": csrf_token(page), "name": "dba", "members": typed})
    said = ("&#39;bob&#39; is not an email address; type the person&#39;s address, e.g. ann@example.com; no one here "
            "has the address nobody@example.com; an admin adds them on the Users page (or `switchboard user create`) "
            "first; reader@example.com is a viewer, who works no incidents; pick an agent or admin")  # fmt: skip
    assert answer.status_code == 200 and said in answer.get_data(as_text=True)
    assert "No groups yet." in client.get("/groups").get_data(as_text=True)


def test_a_group_can_be_removed(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    client.post("/groups", data={"csrf_token": csrf_token(page), "name": "dba", "members": "root@example.com"})
    client.post("/groups/dba/remove", data={"csrf_token": csrf_token(page)})
    assert "No groups yet." in client.get("/groups").get_data(as_text=True)


def test_a_group_named_with_a_slash_is_removed_by_its_button(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    client.post("/groups", data={"csrf_token": csrf_token(page), "name": "ops/eu", "members": "root@example.com"})
    listed = client.get("/groups").get_data(as_text=True)
    [action] = re.findall(r'action="([^"]*(?<!/members)/remove)"', listed)
    assert action == "/groups/ops/eu/remove"
    assert client.post(action, data={"csrf_token": csrf_token(listed)}).status_code == 302
    assert "No groups yet." in client.get("/groups").get_data(as_text=True)


def test_a_new_group_named_like_an_address_is_refused(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    answer = client.post(
        "/groups", data={"csrf_token": csrf_token(page), "name": "ops@eu", "members": "root@example.com"}
    )
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
    assert re.findall(r'name="who" value="([^"]*)"', page) == ["user007@example.com"]  # its Remove button
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
        "adds them on the Users page (or `switchboard user create`) first.",
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


def remove_member(client: FlaskClient, group: str, who: str) -> TestResponse:
    """The Remove button beside a member: the form the page gives for them, as the browser sends it."""
    page = client.get("/groups").get_data(as_text=True)
    [action] = {a for a, w in re.findall(r'action="([^"]*/members/remove)"[^>]*>\s*<input[^>]*>\s*<input type="hidden" '
                                         r'name="who" value="([^"]*)"', page) if w == who}  # fmt: skip
    return client.post(action, data={"csrf_token": csrf_token(page), "who": who})


def test_one_member_is_removed_by_their_button_the_others_keeping_their_order_and_it_is_audited(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as session:
        groups.save_group(session, "ops/eu", agents(session, "ann@example.com", "bob@example.com", "cy@example.com"))
    assert remove_member(admin(client, make_user), "ops/eu", "bob@example.com").status_code == 302
    assert "Group ops/eu: ann@example.com, cy@example.com." in client.get("/groups").get_data(as_text=True)
    assert members_of(db, "ops/eu") == ("ann@example.com", "cy@example.com")
    add_member(client, "ops/eu", "bob@example.com")
    assert members_of(db, "ops/eu") == ("ann@example.com", "cy@example.com", "bob@example.com")  # no gap, no clash
    with db.read() as session:
        [entry] = audit.recent(session, action="group.member.remove")
    members = ["ann@example.com", "cy@example.com"]
    assert (entry.actor, entry.target, entry.detail) == ("root@example.com", "ops/eu",
                                                         {"member": "bob@example.com", "members": members})  # fmt: skip


def test_removing_someone_who_is_not_a_member_changes_nothing_and_says_so(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as session:
        groups.save_group(session, "dba", agents(session, "ann@example.com"))
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    client.post("/groups/dba/members/remove", data={"csrf_token": csrf_token(page), "who": "bob@example.com"})
    said = (
        "dba&#39;s members unchanged: bob@example.com is not in dba; the Groups page and `switchboard group list` "
        "show its members."
    )
    assert said in client.get("/groups").get_data(as_text=True) and members_of(db, "dba") == ("ann@example.com",)


def test_a_member_deactivated_since_they_joined_is_listed_marked_and_can_be_removed(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as session:
        groups.save_group(session, "dba", agents(session, "ann@example.com", "bob@example.com"))
    deactivate(db, "bob@example.com")
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    marked = re.findall(r'value="([^"]*)">\s*\S+\s*<span class="badge unpageable" title="([^"]*)"', page)
    assert marked == [("bob@example.com", "bob@example.com is deactivated; an admin turns them back on on the Users "
                                          "page, or pick someone else")]  # fmt: skip
    remove_member(client, "dba", "bob@example.com")
    assert members_of(db, "dba") == ("ann@example.com",)


def test_queue_names_rules_and_open_incidents_use_without_a_group_are_listed_with_a_link_to_make_one(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, raise_incident: Callable[..., str]
) -> None:
    raise_incident()  # the seeded catch-all rule assigns it to the queue service-desk
    with db.transaction() as session:
        groups.save_group(session, "dba", [])
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    unheld = page.split('id="unheld-queues"', 1)[1].split("</section>", 1)[0]
    assert "<strong>service-desk</strong>: set by rule Default: everything goes to the service desk;" in unheld
    assert ">1 open incident</a>" in unheld and "dba" not in unheld
    assert 'href="/groups?name=service-desk#name">Make group service-desk</a>' in unheld


def test_a_queue_names_link_fills_in_the_new_groups_name(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    page = admin(client, make_user).get("/groups?name=service-desk").get_data(as_text=True)
    assert '<input id="name" name="name" required maxlength="100" placeholder="dba" value="service-desk">' in page


def test_a_group_whose_members_are_all_deactivated_is_flagged_with_what_to_do(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as session:
        groups.save_group(session, "dba", agents(session, "ann@example.com"))
        groups.save_group(session, "network", agents(session, "bob@example.com"))
    deactivate(db, "ann@example.com")
    page = admin(client, make_user).get("/groups").get_data(as_text=True)
    flagged = re.findall(r'<td data-label="Group">([^<]*)</td>(?:(?!</tr>).)*class="form-error no-active-member"', page,
                         re.S)  # fmt: skip
    assert flagged == ["dba"]
    assert ("<strong>No active member:</strong> its incidents are in no one's queue and listed as Unassigned. Add an "
            'active agent below, or reactivate a member on the <a href="/users">Users</a> page.') in page  # fmt: skip
