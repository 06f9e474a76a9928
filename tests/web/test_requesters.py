"""The admins' requester-data page: what is held on an address, its JSON download and its erasure (typed again,
CSRF-checked), after mail through the real SMTP listener, on both databases."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.addresses import pseudonym
from hub.config import Settings
from hub.db import Database
from hub.models import AuditEntry, Incident
from tests.hub.requester_mail import ANN, desk_listener, send  # noqa: F401  (the fixture `desk`)
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)
from tests.web.helpers import Login, csrf_token, log_in

PAGE = f"/requesters?email={ANN}"


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., Login], desk: int) -> FlaskClient:
    """An admin's browser, with Ann's mail received."""
    send(desk, "Payslip missing for May", "My payslip for May is not there.")
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def requester(db: Database) -> str | None:
    with db.read() as session:
        return session.scalars(select(Incident.requester)).one()


def test_the_page_counts_what_is_held_and_offers_the_download(admin: FlaskClient) -> None:
    page = admin.get(PAGE).get_data(as_text=True)
    assert f"Held on {ANN}" in page and "Download data (JSON)" in page
    assert '<td data-label="What">Messages</td><td data-label="Rows">1</td>' in page


def test_the_download_is_the_json_document_and_is_audited(admin: FlaskClient, db: Database, settings: Settings) -> None:
    token = csrf_token(admin.get(PAGE).get_data(as_text=True))
    response = admin.post("/requesters/export", data={"csrf_token": token, "email": ANN})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert "My payslip for May" in json.loads(response.get_data(as_text=True))["messages"][0]["raw"]
    with db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "requester.export")).one()
    assert (entry.actor, entry.target) == ("root@example.com", pseudonym(ANN, settings.secret_key))


def test_erasing_with_the_address_typed_again_erases_it(admin: FlaskClient, db: Database, settings: Settings) -> None:
    token = csrf_token(admin.get(PAGE).get_data(as_text=True))
    response = admin.post("/requesters/erase", data={"csrf_token": token, "email": ANN, "confirm": ANN.upper()},
                          follow_redirects=True)  # fmt: skip
    alias = pseudonym(ANN, settings.secret_key)
    assert f"the address is now {alias}" in response.get_data(as_text=True)
    assert requester(db) == alias


def test_erasing_with_another_address_typed_erases_nothing(admin: FlaskClient, db: Database) -> None:
    token = csrf_token(admin.get(PAGE).get_data(as_text=True))
    response = admin.post("/requesters/erase", data={"csrf_token": token, "email": ANN, "confirm": "ann@example"},
                          follow_redirects=True)  # fmt: skip
    assert "type the address exactly as shown" in response.get_data(as_text=True)
    assert requester(db) == ANN


def test_erasing_without_the_csrf_token_is_refused(admin: FlaskClient, db: Database) -> None:
    response = admin.post("/requesters/erase", data={"email": ANN, "confirm": ANN})
    assert response.status_code == 400 and requester(db) == ANN


def test_an_agent_may_neither_see_nor_erase_a_requesters_data(
    client: FlaskClient, make_user: Callable[..., Login], desk: int, db: Database
) -> None:
    send(desk, "VPN", "It drops.")
    log_in(client, make_user(email="agent@example.com", role="agent"))
    token = csrf_token(client.get("/incidents").get_data(as_text=True))
    assert client.get(PAGE).status_code == 403
    assert client.post("/requesters/erase", data={"csrf_token": token, "email": ANN, "confirm": ANN}).status_code == 403
    assert requester(db) == ANN


def test_what_is_typed_into_the_search_is_shown_escaped(admin: FlaskClient) -> None:
    page = admin.get("/requesters?email=<script>alert(1)</script>").get_data(as_text=True)
    assert "is not an email address" in page and "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_an_incidents_requester_links_an_admin_to_their_data(admin: FlaskClient) -> None:
    page = admin.get("/incidents/INC-1").get_data(as_text=True)
    assert f'<a href="/requesters?email={ANN}">data held</a>' in page


def test_the_configured_desk_address_is_refused_not_offered_for_erasure(admin: FlaskClient, settings: Settings) -> None:
    page = admin.get(f"/requesters?email={settings.desk_address}").get_data(as_text=True)
    assert "is a desk address, not a requester" in page and "Type the address again" not in page
