"""The users page on a large desk: people a page at a time in address order, found by how their address starts,
and every action returning the admin to the page they pressed it on."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from flask.testing import FlaskClient

from hub.db import Database
from hub.user_list import PAGE
from tests.web.helpers import Login, add_people, csrf_token, statements
from tests.web.test_users_and_audit import as_admin, user_id

ROW = re.compile(r'<td data-label="Email">([^<]+)</td>')


def shown(page: str) -> list[str]:
    return ROW.findall(page)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'id="{rel}" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def test_people_are_listed_a_page_at_a_time_in_address_order_and_later_and_earlier_walk_every_one(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    everyone = sorted([*add_people(db, 2 * PAGE + 10), "root@example.com"])
    pages, path = [], "/users"
    while path:
        page = admin.get(path).get_data(as_text=True)
        pages.append(shown(page))
        path = link(page, "later") or ""
    assert [len(p) for p in pages] == [PAGE, PAGE, 11]
    assert [email for p in pages for email in p] == everyone
    back = admin.get(link(admin.get(f"/users?after={pages[1][-1]}").get_data(as_text=True), "earlier") or "")
    assert shown(back.get_data(as_text=True)) == pages[1]


def test_the_first_page_has_no_earlier_link_and_the_last_no_later_one(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    add_people(db, PAGE + 1)
    first = admin.get("/users").get_data(as_text=True)
    last = admin.get(link(first, "later") or "").get_data(as_text=True)
    assert link(first, "earlier") is None and link(first, "later") is not None
    assert link(last, "later") is None and link(last, "earlier") is not None


def test_find_keeps_the_people_whose_address_starts_with_what_was_typed_in_any_case(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    add_people(db, 300)
    page = admin.get("/users?find=USER12").get_data(as_text=True)
    assert shown(page) == [f"user{i}@example.com" for i in range(120, 130)]
    assert link(page, "later") is None


def test_find_pages_within_what_it_found(client: FlaskClient, make_user: Callable[..., Login], db: Database) -> None:
    admin = as_admin(client, make_user)
    add_people(db, 300)
    first = admin.get("/users?find=user2").get_data(as_text=True)
    later = admin.get(link(first, "later") or "").get_data(as_text=True)
    assert shown(first) + shown(later) == [f"user{i}@example.com" for i in range(200, 300)]


def test_find_that_matches_no_one_says_so(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    admin = as_admin(client, make_user)
    page = admin.get("/users?find=<nobody>").get_data(as_text=True)
    assert "No one&#39;s address starts with “&lt;nobody&gt;”." in page and "<nobody>" not in page


def test_a_page_link_whose_people_are_gone_shows_the_first_page(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    admin = as_admin(client, make_user)
    assert shown(admin.get("/users?after=zzz@example.com").get_data(as_text=True)) == ["root@example.com"]


def test_a_role_changed_on_a_later_page_returns_the_admin_to_that_page(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    add_people(db, 2 * PAGE)
    view = "/users?find=user&after=user099@example.com"
    token = csrf_token(admin.get(view).get_data(as_text=True))
    response = admin.post(f"/users/{user_id(db, 'user150@example.com')}",
                          data={"csrf_token": token, "role": "viewer", "back": view})  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == view
    page = admin.get(view).get_data(as_text=True)
    assert "user150@example.com is a viewer." in page and "user150@example.com" in shown(page)


def test_someone_added_is_shown_found_after_the_page_reloads(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    add_people(db, 2 * PAGE)
    token = csrf_token(admin.get("/users").get_data(as_text=True))
    response = admin.post("/users", data={"csrf_token": token, "email": "zed@example.com", "role": "agent",
                                          "password": "long enough"})  # fmt: skip
    assert shown(admin.get(response.headers["Location"]).get_data(as_text=True)) == ["zed@example.com"]


def test_the_page_sends_the_same_statements_whatever_the_number_of_people(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    admin.get("/users")
    with statements(db) as few:
        admin.get("/users")
    add_people(db, 3 * PAGE)
    with statements(db) as many:
        page = admin.get("/users").get_data(as_text=True)
    assert len(many) == len(few) and len(shown(page)) == PAGE
