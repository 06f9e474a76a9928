"""The integrations pages: each source with the last payloads it sent and what became of them."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, log_in, post_event


def test_list_shows_each_integration_with_its_kind(
    client: FlaskClient, integration: IntegrationCredentials, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(role="agent"))
    page = client.get("/integrations").get_data(as_text=True)
    assert integration.name in page and "generic" in page


def test_detail_shows_last_payloads_with_outcome_error_and_incident(
    client: FlaskClient, integration: IntegrationCredentials, make_user: Callable[..., Login]
) -> None:
    post_event(client, integration.name, integration.secret, {"title": "Disk full"})
    post_event(client, integration.name, integration.secret, {"severity": "apocalyptic"})
    log_in(client, make_user(role="admin"))
    page = client.get(f"/integrations/{integration.name}").get_data(as_text=True)
    assert "unprocessable" in page and "&#39;title&#39; is required" in page
    assert "INC-1" in page and "/api/v1/events/monitoring" in page


def test_hostile_payload_is_shown_escaped(
    client: FlaskClient, integration: IntegrationCredentials, make_user: Callable[..., Login]
) -> None:
    post_event(client, integration.name, integration.secret, {"title": "<script>alert(1)</script>"})
    log_in(client, make_user(role="admin"))
    page = client.get(f"/integrations/{integration.name}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_viewers_may_not_see_payloads(client: FlaskClient, integration: IntegrationCredentials, make_user) -> None:  # type: ignore[no-untyped-def]
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    assert client.get("/integrations").status_code == 403
    assert client.get(f"/integrations/{integration.name}").status_code == 403
    assert "/integrations" not in client.get("/incidents").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/integrations")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_integration_is_404(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(role="admin"))
    assert client.get("/integrations/nope").status_code == 404
