"""A service's major-incident group on the pages: admins set and clear it on the service's edit page (audited, as
the CLI does), /services shows it, and an incident's declare form and its review's page name the group they page:
the service's, else SWITCHBOARD_MAJOR_INCIDENT_GROUP."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import catalogue, groups, major_incidents, reviews, triage
from hub.agent_action import Actor
from hub.config import Settings
from hub.db import Database
from hub.models import AuditEntry
from tests.conftest import make_settings
from tests.hub.majors import MAIL
from tests.staff import agents
from tests.web.helpers import Login, log_in
from tests.web.test_services_page import add_service_on_page, cell, edit_on_page, flashes, row_of
from web.queries import incident_id


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", major_incident_group="major-incident")


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., Login], db: Database) -> FlaskClient:
    """An admin on a desk with the service payroll and payroll's incident managers' group."""
    log_in(client, make_user(email="root@example.com", role="admin"))
    with db.transaction() as session:
        groups.save_group(session, "payroll-mim", agents(session, "frank@example.com"))
        catalogue.add_service(session, name="payroll", owner_group="payroll-ops")
    return client


def changes(db: Database) -> list[dict[str, object]]:
    with db.read() as session:
        query = select(AuditEntry.detail).where(AuditEntry.action == "service.change").order_by(AuditEntry.id)
        return list(session.scalars(query))  # type: ignore[arg-type]


def test_the_example_major_incident_group_is_named_for_the_service_at_hand(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
    assert 'placeholder="mail-mim"' in admin.get("/services/mail/edit").get_data(as_text=True)
    assert 'placeholder="mail-mim"' in admin.get("/services").get_data(as_text=True)  # beside the example name, mail


def test_an_admin_sets_a_services_major_incident_group_on_its_edit_page_and_the_catalogue_shows_it(
    admin: FlaskClient, db: Database
) -> None:
    page = edit_on_page(admin, "payroll", owner_group="payroll-ops", major_group="payroll-mim")
    assert flashes(page) == ["Service payroll saved; not on the status page."]
    assert cell(row_of(page, "payroll"), "Owner group") == (
        'payroll-ops<br><span class="muted">major incidents: payroll-mim</span>'
    )
    assert 'name="major_group" placeholder="payroll-mim" type="text" value="payroll-mim"' in (
        admin.get("/services/payroll/edit").get_data(as_text=True)
    )
    assert changes(db) == [{"major_group": "payroll-mim"}]


def test_an_admin_clears_a_services_major_incident_group_and_the_clearing_is_audited(
    admin: FlaskClient, db: Database
) -> None:
    edit_on_page(admin, "payroll", owner_group="payroll-ops", major_group="payroll-mim")
    page = edit_on_page(admin, "payroll", owner_group="payroll-ops", major_group="")
    assert cell(row_of(page, "payroll"), "Owner group") == "payroll-ops"
    assert changes(db) == [{"major_group": "payroll-mim"}, {"major_group": None}]


def test_a_major_incident_group_not_made_yet_is_saved_with_a_warning_of_what_is_paged_instead(
    admin: FlaskClient,
) -> None:
    page = edit_on_page(admin, "payroll", owner_group="payroll-ops", major_group="payroll-oncall")
    [said] = flashes(page)
    assert said.startswith(
        "Service payroll saved; not on the status page. But there is no group 'payroll-oncall' yet, so this "
        "service's major incidents page the installation's major-incident group"
    )


def test_a_major_incident_group_no_group_could_be_called_is_refused_beside_its_field(
    admin: FlaskClient, db: Database
) -> None:
    page = edit_on_page(admin, "payroll", owner_group="payroll-ops", major_group="x" * 101)
    box = page[page.index('id="major_group"') :]
    assert re.findall(r'<p class="field-error">(.*?)</p>', box[: box.index("</div>")]) == [
        "A group needs a name of 1 to 100 characters on one line."
    ]
    assert changes(db) == []


def test_a_service_is_added_with_its_major_incident_group_from_the_catalogue_page(admin: FlaskClient) -> None:
    page = add_service_on_page(admin, name="hr", major_group="payroll-mim")
    assert flashes(page) == ["Service hr added."]
    assert "major incidents: payroll-mim" in cell(row_of(page, "hr"), "Owner group")


def test_the_declare_form_names_the_services_group_else_the_installations(
    admin: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    payroll, other = raise_incident("Payroll is down"), raise_incident("Printer jammed")
    with db.transaction() as session:
        catalogue.set_service(session, "payroll", major_group="payroll-mim")
    triage.categorise(db, incident_id(payroll) or 0, Actor("root@example.com"), service="payroll")
    said = "Pages the coordinator, the assignee and the group {} at once"
    assert said.format("payroll-mim") in admin.get(f"/incidents/{payroll}").get_data(as_text=True)
    assert said.format("major-incident") in admin.get(f"/incidents/{other}").get_data(as_text=True)


def test_the_review_page_names_the_services_group_its_link_is_mailed_to(
    admin: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident("Payroll is down")
    number, root = incident_id(ref) or 0, Actor("root@example.com")
    with db.transaction() as session:
        catalogue.set_service(session, "payroll", major_group="payroll-mim")
    triage.categorise(db, number, root, service="payroll")
    major_incidents.declare(db, number, "Nobody can run payroll", root, MAIL)
    triage.change_status(db, number, "resolve", root, MAIL, resolution="Freed disk")
    reviews.start(db, number, root)
    page = unescape(admin.get(f"/incidents/{ref}/review").get_data(as_text=True))
    assert "Its link is mailed to root@example.com and the group payroll-mim." in page
