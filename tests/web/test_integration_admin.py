"""Admins create integrations, rotate their secrets and send test alerts from the integration pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from hub import accounts
from hub.db import Database
from hub.models import Change
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in, post_event


def as_role(client: FlaskClient, make_user: Callable[..., Login], role: str = "admin") -> FlaskClient:
    log_in(client, make_user(email=f"{role}@example.com", role=role))
    return client


def shown_secret(page: str) -> str:
    match = re.search(r'<code id="secret">([^<]+)</code>', page)
    assert match, "the page shows no secret"
    return match.group(1)


def test_creating_an_integration_shows_its_secret_once_and_it_works(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    admin = as_role(client, make_user)
    token = csrf_token(admin.get("/integrations").get_data(as_text=True))
    response = admin.post("/integrations", data={"csrf_token": token, "name": "prom", "kind": "alertmanager"},
                          follow_redirects=True)  # fmt: skip
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.request.path == "/integrations/prom"  # a GET: a reload sends no form again
    page = response.get_data(as_text=True)
    secret = shown_secret(page)
    assert f"credentials: {secret}" in page  # the snippet is ready to paste
    assert secret not in admin.get("/integrations/prom").get_data(as_text=True)  # never again
    assert post_event(admin, "prom", secret, {"version": "4", "alerts": []}).status_code != 401


def test_a_bad_name_is_refused_with_the_rule(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    admin = as_role(client, make_user)
    token = csrf_token(admin.get("/integrations").get_data(as_text=True))
    page = admin.post("/integrations", data={"csrf_token": token, "name": "Bad Name", "kind": "generic"})
    assert "must be 1-100 lowercase letters" in page.get_data(as_text=True)


def test_the_name_hint_says_pagerduty_and_opsgenie_post_to_their_own_api_whatever_the_name(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    page = as_role(client, make_user).get("/integrations").get_data(as_text=True)
    assert ("Most kinds post to /api/v1/events/&lt;name&gt;, but pagerduty to /v2/enqueue and opsgenie to /v2/alerts, "
            "whatever the name") in page  # fmt: skip


def test_an_agent_cannot_create_integrations(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    agent = as_role(client, make_user, "agent")
    token = csrf_token(agent.get("/integrations").get_data(as_text=True))
    response = agent.post("/integrations", data={"csrf_token": token, "name": "sneaky", "kind": "generic"})
    assert response.status_code == 403


def test_rotating_a_secret_stops_the_old_one_at_once(
    client: FlaskClient, make_user: Callable[..., Login], integration: IntegrationCredentials
) -> None:
    admin = as_role(client, make_user)
    token = csrf_token(admin.get(f"/integrations/{integration.name}").get_data(as_text=True))
    page = admin.post(f"/integrations/{integration.name}/rotate", data={"csrf_token": token}, follow_redirects=True)
    new = shown_secret(page.get_data(as_text=True))
    assert post_event(admin, integration.name, integration.secret, {"title": "x"}).status_code == 401
    assert post_event(admin, integration.name, new, {"title": "x"}).status_code == 202
    assert "integration.rotate" in admin.get("/audit").get_data(as_text=True)


def test_reloading_the_page_that_shows_a_rotated_secret_rotates_nothing(
    client: FlaskClient, make_user: Callable[..., Login], integration: IntegrationCredentials
) -> None:
    admin = as_role(client, make_user)
    token = csrf_token(admin.get(f"/integrations/{integration.name}").get_data(as_text=True))
    answer = admin.post(f"/integrations/{integration.name}/rotate", data={"csrf_token": token})
    assert answer.status_code == 303  # so the browser's reload asks for the page it lands on, not the rotation
    new = shown_secret(admin.get(answer.headers["Location"]).get_data(as_text=True))
    reloaded = admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert new not in reloaded and 'id="secret"' not in reloaded  # shown once
    assert post_event(admin, integration.name, new, {"title": "x"}).status_code == 202  # still the one in use


def test_a_test_deploy_says_what_it_would_record_and_records_no_change(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as session:
        accounts.create_integration(session, name="pipelines", kind="deploy")
    admin = as_role(client, make_user)
    page = admin.get("/integrations/pipelines").get_data(as_text=True)
    assert "Send test deploy</button>" in page
    said = admin.post("/integrations/pipelines/test", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "recorded as a standard change \u201cTest alert from Switchboard\u201d on service switchboard-test, " \
           "implemented. Nothing was recorded" in said.get_data(as_text=True)  # fmt: skip
    with db.read() as session:
        assert session.query(Change).count() == 0


def test_send_test_alert_opens_an_incident_through_the_real_path(
    client: FlaskClient, make_user: Callable[..., Login], integration: IntegrationCredentials
) -> None:
    admin = as_role(client, make_user)
    token = csrf_token(admin.get(f"/integrations/{integration.name}").get_data(as_text=True))
    response = admin.post(f"/integrations/{integration.name}/test", data={"csrf_token": token})
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Test alert stored: INC-1." in page
    incident = admin.get("/incidents/INC-1").get_data(as_text=True)
    assert "Test alert from Switchboard" in incident
    admin.post(f"/integrations/{integration.name}/test", data={"csrf_token": token})
    assert '<td data-label="Occurrences" class="num">2</td>' in admin.get("/incidents").get_data(as_text=True)
