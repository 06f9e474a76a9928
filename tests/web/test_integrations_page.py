"""The integrations pages: each source with the last payloads it sent and what became of them."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in, post_event


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
    assert 'href="/integrations' not in client.get("/incidents").get_data(as_text=True)  # no link to them


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/integrations")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_integration_is_404(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(role="admin"))
    assert client.get("/integrations/nope").status_code == 404


def mapping_post(client: FlaskClient, name: str, text: str, button: str) -> str:
    token = csrf_token(client.get(f"/integrations/{name}").get_data(as_text=True))
    response = client.post(f"/integrations/{name}/mapping", data={"mapping": text, button: "1", "csrf_token": token},
                           follow_redirects=True)  # fmt: skip
    return response.get_data(as_text=True)


def test_admin_previews_a_mapping_on_the_last_payloads_then_saves_it(
    client: FlaskClient, integration: IntegrationCredentials, make_user: Callable[..., Login]
) -> None:
    post_event(client, integration.name, integration.secret, {"alert": {"text": "Queue backlog", "id": "q-1"}})
    log_in(client, make_user(role="admin"))
    spec = '{"title": "alert.text", "dedup_key": "alert.id"}'
    preview = mapping_post(client, integration.name, spec, "preview")
    assert "trigger unknown key=&#39;q-1&#39; title=&#39;Queue backlog&#39;" in preview
    assert "Mapping saved" in mapping_post(client, integration.name, spec, "save")
    assert (
        post_event(client, integration.name, integration.secret, {"alert": {"text": "x", "id": "q-2"}}).status_code
        == 202
    )


def test_a_broken_mapping_is_explained_and_not_saved(
    client: FlaskClient, integration: IntegrationCredentials, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(role="admin"))
    page = mapping_post(client, integration.name, '{"title": "alert["}', "save")
    assert "This mapping cannot be used" in page and "Mapping saved" not in page


def test_agents_see_but_may_not_edit_mappings(
    client: FlaskClient, integration: IntegrationCredentials, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(role="agent"))
    page = client.get(f"/integrations/{integration.name}").get_data(as_text=True)
    assert "Preview on the last payloads" not in page
    token = csrf_token(page)  # the page's logout form carries one: a valid token, still the wrong role
    data = {"mapping": "{}", "save": "1", "csrf_token": token}
    assert client.post(f"/integrations/{integration.name}/mapping", data=data).status_code == 403


def test_a_mapped_integration_warns_that_its_curl_example_is_not_in_its_shape(
    client: FlaskClient, integration: IntegrationCredentials, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(role="admin"))
    assert 'id="mapped-note"' not in client.get(f"/integrations/{integration.name}").get_data(as_text=True)
    mapping_post(client, integration.name, '{"title": "alert.text"}', "save")
    assert 'id="mapped-note"' in client.get(f"/integrations/{integration.name}").get_data(as_text=True)
