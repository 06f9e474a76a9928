"""Major incidents on the pages: declared, handed over and stood down from the incident page, and the banner and the
filter that keep them in sight."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import groups
from hub.config import Settings
from hub.db import Database
from hub.models import OutboxMessage
from tests.conftest import make_settings
from tests.web.helpers import Login, csrf_token, log_in
from tests.web.test_incident_actions import act, stored


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", major_incident_group="major-incident")


@pytest.fixture
def bob(make_user: Callable[..., Login], db: Database) -> Login:
    """A colleague to coordinate, and Dave in the major-incident group."""
    make_user(email="dave@example.com")
    with db.transaction() as session:
        groups.save_group(session, "major-incident", ["dave@example.com"])
    return make_user(email="bob@example.com")


def declare(client: FlaskClient, ref: str, reason: str = "Nobody can run payroll", **fields: str) -> str:
    return act(client, ref, "major", reason=reason, **fields)


def paged(db: Database) -> list[str]:
    with db.read() as session:
        query = select(OutboxMessage.recipient).where(OutboxMessage.kind == "major_declared")
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def test_an_agent_declares_a_major_incident_from_its_page_naming_its_coordinator(
    logged_in: FlaskClient, raise_incident: Callable[..., str], bob: Login, db: Database
) -> None:
    ref = raise_incident()
    assert "Declare a major incident" in logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    page = declare(logged_in, ref, coordinator="bob@example.com")
    assert f"{ref} is a major incident, coordinated by bob@example.com." in page
    assert '<strong id="coordinator">bob@example.com</strong>' in page and "Declare a major incident" not in page
    assert paged(db) == ["bob@example.com", "dave@example.com"]


def test_whoever_declares_coordinates_by_default(
    logged_in: FlaskClient, raise_incident: Callable[..., str], user: Login
) -> None:
    ref = raise_incident()
    form = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f'name="coordinator" list="people" value="{user.email}"' in form
    assert f"coordinated by {user.email}." in declare(logged_in, ref, coordinator="")


def test_declaring_without_the_forms_csrf_token_is_refused(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response = logged_in.post(f"/incidents/{ref}/major", data={"reason": "Payroll down"})
    assert response.status_code == 400
    assert "Declared a major incident" not in logged_in.get(f"/incidents/{ref}").get_data(as_text=True)


def test_declaring_twice_says_who_coordinates_it(
    logged_in: FlaskClient, raise_incident: Callable[..., str], bob: Login
) -> None:
    ref = raise_incident()
    declare(logged_in, ref, coordinator="bob@example.com")
    page = declare(logged_in, ref, "Still down")
    assert "is already a major incident, declared by agent@example.com and coordinated by bob@example.com" in page


def test_a_declaration_without_a_reason_says_what_to_write(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    assert "The reason is empty; say in a few words why it is major" in declare(logged_in, ref, " ")


def test_a_viewer_sees_the_major_incident_but_cannot_declare_or_stand_it_down(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], app_client_pair: tuple
) -> None:
    ref = raise_incident()
    declare(logged_in, ref)
    viewer: FlaskClient = app_client_pair[1]
    log_in(viewer, make_user(email="vic@example.com", role="viewer"))
    page = viewer.get(f"/incidents/{ref}").get_data(as_text=True)
    assert 'id="major-heading">Major incident' in page and "Stand down" not in page
    token = csrf_token(page)
    assert viewer.post(f"/incidents/{ref}/stand_down", data={"csrf_token": token}).status_code == 403


def test_the_reason_is_shown_as_text(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident()
    page = declare(logged_in, ref, '<script>alert("x")</script> payroll')
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; payroll" in page and "<script>alert" not in page


def test_the_dashboard_and_the_list_show_each_major_incident_in_progress_with_its_coordinator_and_age(
    logged_in: FlaskClient, raise_incident: Callable[..., str], bob: Login
) -> None:
    ref = raise_incident("Payroll is down")
    raise_incident("Printer jams")
    declare(logged_in, ref, coordinator="bob@example.com")
    for path in ("/dashboard", "/incidents"):
        page = logged_in.get(path).get_data(as_text=True)
        banner = page[page.index('id="major-incidents"') : page.index("</section>", page.index('id="major-incidents"'))]
        assert "1 major incident in progress" in banner and ref in banner and "Printer jams" not in banner
        assert re.search(r"coordinator bob@example\.com, declared \d+ s ago", banner), banner


def test_the_banner_leaves_out_a_resolved_major_incident(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    declare(logged_in, ref)
    act(logged_in, ref, "resolve")
    assert 'id="major-incidents"' not in logged_in.get("/dashboard").get_data(as_text=True)


def test_the_list_shows_only_major_incidents_with_major_1(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    major = raise_incident("Payroll is down")
    other = raise_incident("Printer jams")
    declare(logged_in, major)
    page = logged_in.get("/incidents?major=1").get_data(as_text=True)
    assert f">{major}</a>" in page and f">{other}</a>" not in page
    assert re.search(r'href="/incidents"[^>]*aria-current="true">Major</a>', page)
    assert f">{other}</a>" in logged_in.get("/incidents?major=0").get_data(as_text=True)


def test_a_major_filter_that_is_neither_1_nor_0_says_so(logged_in: FlaskClient) -> None:
    page = logged_in.get("/incidents?major=yes").get_data(as_text=True)
    assert "&#39;major&#39; must be 1 (only those) or 0, not &#39;yes&#39;; showing all incidents instead." in page


def test_coordination_is_handed_over_from_the_page(
    logged_in: FlaskClient, raise_incident: Callable[..., str], bob: Login
) -> None:
    ref = raise_incident()
    declare(logged_in, ref)
    page = act(logged_in, ref, "coordinator", coordinator="Bob@example.com")
    assert f"{ref} is coordinated by bob@example.com now." in page
    assert "Coordination handed over from agent@example.com to bob@example.com" in page


def test_standing_down_from_the_page_ends_it_and_the_banner(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    declare(logged_in, ref)
    page = act(logged_in, ref, "stand_down", note="Only the test payroll")
    assert f"{ref} is no longer a major incident." in page
    assert "Stood down as a major incident by agent@example.com: Only the test payroll" in page
    assert "Declare a major incident" in page  # it may be declared again
    assert 'id="major-incidents"' not in logged_in.get("/incidents").get_data(as_text=True)
    assert stored(db, ref).status == "open"
