"""Every route x every role, in one table: who may reach what. A new route fails here until it is given a rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import accounts
from hub.db import Database
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in

ROLES = ("anonymous", "viewer", "agent", "admin")
EVERYONE = frozenset(ROLES)
PEOPLE = frozenset({"viewer", "agent", "admin"})
STAFF = frozenset({"agent", "admin"})
ADMINS = frozenset({"admin"})

# endpoint -> (method, path, roles allowed). Pages refuse anonymous visitors by sending them to log in (302) and
# logged-in people without the role with 403. Machine endpoints authenticate by their own credentials (tested
# in their own files) and are listed here so that no route goes without a decision.
UI = {
    "incidents.index": ("GET", "/incidents", PEOPLE),
    "incidents.detail": ("GET", "/incidents/INC-1", PEOPLE),
    "integrations.index": ("GET", "/integrations", STAFF),
    "integrations.detail": ("GET", "/integrations/monitoring", STAFF),
    "integrations.edit_mapping": ("POST", "/integrations/monitoring/mapping", ADMINS),
    "silences.index": ("GET", "/silences", STAFF),
    "silences.expire": ("POST", "/silences/1/expire", STAFF),
}
# "/" only redirects to /incidents, which is where the login check happens.
PUBLIC = {"incidents.root", "auth.login", "auth.logout", "health.healthz", "metrics.metrics", "static"}
BY_MACHINE_CREDENTIALS = {
    "events.receive", "pagerduty.enqueue", "opsgenie.create", "opsgenie.acknowledge", "opsgenie.close",
    "api.incidents", "api.incident", "silences_api.create", "silences_api.index", "silences_api.expire",
}  # fmt: skip


def test_every_route_has_an_access_rule(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(UI) | PUBLIC | BY_MACHINE_CREDENTIALS


@pytest.fixture
def as_role(
    client: FlaskClient, make_user: Callable[..., Login], integration: IntegrationCredentials
) -> Callable[[str], FlaskClient]:
    """A client logged in with a role (or not at all), and an incident INC-1 for the detail pages to show."""
    client.post(f"/api/v1/events/{integration.name}", json={"title": "Disk full"},
                headers={"Authorization": f"Bearer {integration.secret}"})  # fmt: skip

    def login(role: str) -> FlaskClient:
        if role != "anonymous":
            log_in(client, make_user(email=f"{role}@example.com", role=role))
        return client

    return login


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(UI))
def test_page_access(as_role: Callable[[str], FlaskClient], endpoint: str, role: str) -> None:
    method, path, allowed = UI[endpoint]
    client = as_role(role)
    if method == "GET":
        response = client.get(path)
    else:
        page = "/login" if role == "anonymous" else "/incidents"  # every page a person sees carries a token
        token = csrf_token(client.get(page).get_data(as_text=True))
        response = client.post(path, data={"csrf_token": token, "mapping": "", "save": "1"})
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"], (endpoint, role)
    elif role in allowed:
        assert response.status_code not in (401, 403), (endpoint, role, response.status_code)
    else:
        assert response.status_code == 403, (endpoint, role, response.status_code)


@pytest.mark.parametrize("path", ["/api/v1/incidents", "/api/v1/incidents/INC-1", "/api/v1/silences"])
def test_api_needs_a_token(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401


@pytest.mark.parametrize("role", ["viewer", "agent", "admin"])
def test_api_tokens_act_within_their_role(client: FlaskClient, db: Database, role: str) -> None:
    with db.transaction() as session:
        token = accounts.create_token(session, name=f"t-{role}", role=role)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    created = client.post("/api/v1/silences", json={"matchers": ["labels.team=db"], "duration": "1h"}, headers=headers)
    assert created.status_code == (403 if role == "viewer" else 201)
