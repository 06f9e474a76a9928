"""The on-call page: everyone sees who is on call; agents cover shifts, admins set rotations; all audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub import accounts, groups, oncall
from hub.db import Database
from hub.models import utcnow
from tests.staff import agents, deactivate
from tests.web.helpers import Login, add_people, csrf_token, log_in


def as_role(client: FlaskClient, make_user: Callable[..., Login], role: str) -> FlaskClient:
    log_in(client, make_user(email=f"{role}@example.com", role=role))
    return client


def dba(db: Database, name: str = "dba") -> None:
    """ann this week, bob the next: weekly shifts from the latest Monday 09:00 UTC."""
    with db.transaction() as s:
        groups.save_group(s, name, agents(s, "ann@example.com", "bob@example.com"))
        oncall.set_rotation(s, name, zone="UTC", shift="1w", handoff="mon 09:00", now=utcnow())


def cover(client: FlaskClient, page: str, group: str, who: str, *, hours: int) -> TestResponse:
    """Send the page's override form for `group`: `who` on call from five minutes ago for `hours`."""
    starts = utcnow() - timedelta(minutes=5)
    ends = starts + timedelta(hours=hours)
    return client.post(f"/oncall/{group}/overrides", data={"csrf_token": csrf_token(page), "who": who,
                                                           "starts": f"{starts:%Y-%m-%dT%H:%M}",
                                                           "ends": f"{ends:%Y-%m-%dT%H:%M}"})  # fmt: skip


def test_everyone_sees_who_is_on_call_and_who_is_next(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    page = as_role(client, make_user, "viewer").get("/oncall").get_data(as_text=True)
    assert "<strong>ann@example.com</strong> is on call until " in page and ", then bob@example.com." in page
    assert "Add override" not in page and "Save rotation" not in page
    assert re.search(r'<code class="feed-url">http://[^<]+/oncall/calendar/[\w.-]+\.ics</code>', page)  # their feed


def test_an_admin_sets_a_rotation_for_a_group(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as s:
        groups.save_group(s, "ops", agents(s, "cy@example.com"))
    page = as_role(client, make_user, "admin").get("/oncall").get_data(as_text=True)
    answer = client.post("/oncall", data={"csrf_token": csrf_token(page), "group": "ops", "shift": "1d",
                                          "handoff": "08:00", "tz": "Europe/Berlin"})  # fmt: skip
    assert answer.status_code == 302
    shown = client.get("/oncall").get_data(as_text=True)
    assert "<strong>cy@example.com</strong> is on call" in shown and "times in Europe/Berlin" in shown
    assert "<code>oncall.set</code>" in client.get("/audit").get_data(as_text=True)


def test_a_rotation_that_makes_no_sense_is_refused_saying_why(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    page = as_role(client, make_user, "admin").get("/oncall").get_data(as_text=True)
    answer = client.post("/oncall", data={"csrf_token": csrf_token(page), "group": "dba", "shift": "1w",
                                          "handoff": "someday", "tz": "UTC"})  # fmt: skip
    assert answer.status_code == 422 and "is not a handoff time; write 09:00" in answer.get_data(as_text=True)


def test_an_agent_covers_a_shift_and_removes_the_cover(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    make_user(email="dan@example.com")
    page = as_role(client, make_user, "agent").get("/oncall").get_data(as_text=True)
    assert cover(client, page, "dba", "Dan@example.com", hours=3).status_code == 302
    shown = client.get("/oncall").get_data(as_text=True)
    assert "<strong>dan@example.com</strong> is on call until " in shown and "override 1" in shown
    client.post("/oncall/dba/overrides/1/remove", data={"csrf_token": csrf_token(shown)})
    assert "<strong>ann@example.com</strong> is on call" in client.get("/oncall").get_data(as_text=True)


def test_an_override_that_ends_before_it_starts_is_refused(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    page = as_role(client, make_user, "agent").get("/oncall").get_data(as_text=True)
    answer = client.post("/oncall/dba/overrides", data={"csrf_token": csrf_token(page), "who": "agent@example.com",
                                                        "starts": "2030-01-02T10:00",
                                                        "ends": "2030-01-01T10:00"})  # fmt: skip
    assert answer.status_code == 422
    assert "Override for dba not added: an override ends after it starts." in answer.get_data(as_text=True)


def test_an_agent_cannot_set_or_remove_a_rotation(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    page = as_role(client, make_user, "agent").get("/oncall").get_data(as_text=True)
    assert client.post("/oncall/dba/remove", data={"csrf_token": csrf_token(page)}).status_code == 403


def test_a_hostile_group_name_is_shown_escaped(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db, "<img src=x onerror=alert(1)>")
    page = as_role(client, make_user, "agent").get("/oncall").get_data(as_text=True)
    assert "<img src=x" not in page and "<h2>&lt;img src=x onerror=alert(1)&gt;</h2>" in page


def test_a_group_named_with_a_slash_is_covered_and_stopped_from_its_page(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db, "ops/eu")
    make_user(email="dan@example.com")
    page = as_role(client, make_user, "admin").get("/oncall").get_data(as_text=True)
    assert 'action="/oncall/ops/eu/overrides"' in page
    assert cover(client, page, "ops/eu", "dan@example.com", hours=1).status_code == 302
    assert "<strong>dan@example.com</strong> is on call" in client.get("/oncall").get_data(as_text=True)
    assert client.post("/oncall/ops/eu/remove", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert "No rotations yet." in client.get("/oncall").get_data(as_text=True)


def test_the_page_offers_each_rotations_people_and_lists_no_one_else_of_a_large_desk(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    add_people(db, 300)
    dba(db)
    page = as_role(client, make_user, "agent").get("/oncall").get_data(as_text=True)
    assert 'list="people-1"' in page
    assert ('<datalist id="people-1" data-suggest="/suggest/assignees?groups=no"><option value="ann@example.com">'
            '<option value="bob@example.com"></datalist>') in page  # fmt: skip
    assert "user150@example.com" not in page  # typed, and suggested by the script


def test_a_shift_is_covered_by_anyone_of_a_large_desk_by_the_address_typed(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    add_people(db, 300)
    dba(db)
    page = as_role(client, make_user, "agent").get("/oncall").get_data(as_text=True)
    assert cover(client, page, "dba", " User150@Example.com", hours=3).status_code == 302
    assert "<strong>user150@example.com</strong> is on call until " in client.get("/oncall").get_data(as_text=True)


def test_cover_by_someone_who_is_not_an_active_agent_or_admin_is_refused_and_nothing_changes(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    make_user(email="gone@example.com")
    make_user(email="reader@example.com", role="viewer")
    with db.transaction() as s:
        accounts.change_user(s, "gone@example.com", active=False)
    page = as_role(client, make_user, "agent").get("/oncall").get_data(as_text=True)
    refusals = {
        "nobody@example.com": "no one here has the address nobody@example.com; an admin adds them on the Users page "
        "(or `switchboard user create`) first",
        "gone@example.com": "gone@example.com is deactivated; an admin turns them back on on the Users page, or pick "
        "someone else",
        "reader@example.com": "reader@example.com is a viewer, who works no incidents; pick an agent or admin",
    }
    for who, said in refusals.items():
        answer = cover(client, page, "dba", who, hours=3)
        assert answer.status_code == 422
        assert f"Override for dba not added: {said}." in answer.get_data(as_text=True)
    with db.read() as s:
        assert oncall.rotations(s, ["dba"], utcnow())["dba"].overrides == ()


def test_someone_on_call_deactivated_since_is_marked_and_the_page_says_whom_pages_reach_instead(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    deactivate(db, "ann@example.com")
    page = as_role(client, make_user, "viewer").get("/oncall").get_data(as_text=True)
    why = "ann@example.com is deactivated; an admin turns them back on on the Users page, or pick someone else"
    assert f'<strong>ann@example.com</strong> <span class="badge unpageable" title="{why}">cannot be paged' in page
    assert "Pages go to <strong>bob@example.com</strong>, the next in rota who can answer." in page
    assert re.search(r'<td data-label="On call">ann@example.com <span class="badge unpageable"', page)  # each shift


def test_the_page_says_no_one_is_reached_when_no_one_in_the_rota_can_answer(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    deactivate(db, "ann@example.com", "bob@example.com")
    page = as_role(client, make_user, "viewer").get("/oncall").get_data(as_text=True)
    assert "Pages go to no one: no one in the rota can answer." in page


def test_an_override_of_one_group_cannot_be_removed_through_anothers_address(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    dba(db)
    dba(db, "web")
    make_user(email="dan@example.com")
    page = as_role(client, make_user, "agent").get("/oncall").get_data(as_text=True)
    assert cover(client, page, "dba", "dan@example.com", hours=3).status_code == 302
    answer = client.post("/oncall/web/overrides/1/remove", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "Nothing changed: group &#39;web&#39; has no override 1; the On call page" in answer.get_data(as_text=True)
    with db.read() as s:
        assert [o.who for o in oncall.rotations(s, ["dba"], utcnow())["dba"].overrides] == ["dan@example.com"]
