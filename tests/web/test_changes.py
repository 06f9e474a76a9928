"""Changes over HTTP: deploy webhooks recorded as changes, the JSON API, and the pages with their forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, catalogue, changes
from hub.db import Database
from hub.models import Change, Event, Incident, utcnow
from tests.ingest.webhooks import load_fixture
from tests.staff import agents
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, count, csrf_token, log_in

DEPLOY = {"service": "checkout", "version": "1.4.2", "environment": "production", "status": "success",
          "link": "https://ci.example.com/runs/42", "deploy_id": "run-42"}  # fmt: skip


@pytest.fixture(autouse=True)
def approvers(db: Database) -> None:
    """Ann, whom the changes name as an approver: an approver must be an active user."""
    agents(db, "ann@example.com")


@pytest.fixture
def ci(db: Database) -> IntegrationCredentials:
    with db.transaction() as session:
        row, secret = accounts.create_integration(session, name="ci", kind="deploy")
        return IntegrationCredentials(row.name, secret)


@pytest.fixture
def token(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name='reader', role='viewer')}"}


def post_deploy(client: FlaskClient, ci: IntegrationCredentials, body: Any) -> Any:
    return client.post(f"/api/v1/events/{ci.name}", json=body, headers={"Authorization": f"Bearer {ci.secret}"})


def only_change(db: Database) -> Change:
    with db.read() as session:
        [row] = session.scalars(select(Change)).all()
        return row


# -- deploy webhooks --------------------------------------------------------------------------------------------


def test_a_successful_deploy_is_an_implemented_standard_change_and_opens_no_incident(
    client: FlaskClient, db: Database, ci: IntegrationCredentials
) -> None:
    response = post_deploy(client, ci, DEPLOY)
    assert response.status_code == 202
    assert response.json == {"status": "accepted", "event_id": 1, "change": "CHG-1", "change_state": "implemented",
                             "created": True}  # fmt: skip
    row = only_change(db)
    assert (row.type, row.state, row.source, row.service, row.version) == (
        "standard", "implemented", "deploy", "checkout", "1.4.2"
    )  # fmt: skip
    assert row.implemented_at is not None and count(db, Incident) == 0


def test_the_raw_body_is_stored_as_an_event_beside_the_change(
    client: FlaskClient, db: Database, ci: IntegrationCredentials
) -> None:
    body = b'{"service": "checkout", "status": "failure"}'
    headers = {"Authorization": f"Bearer {ci.secret}"}
    response = client.post(f"/api/v1/events/{ci.name}", data=body, content_type="application/json", headers=headers)
    assert response.status_code == 202
    with db.read() as session:
        event = session.scalars(select(Event)).one()
    assert (event.status, event.raw, event.incident_id) == (
        "change",
        b'{"service": "checkout", "status": "failure"}',
        None,
    )
    assert event.trace == {"change": "CHG-1", "status": "failure", "result": "created"}
    assert only_change(db).state == "failed"


def test_a_later_success_of_the_same_deploy_updates_its_change(
    client: FlaskClient, db: Database, ci: IntegrationCredentials
) -> None:
    first = post_deploy(client, ci, {**DEPLOY, "status": "in_progress"})
    assert first.json["change_state"] == "implementing"  # type: ignore[index]
    second = post_deploy(client, ci, {**DEPLOY, "finished_at": "2026-03-01T10:04:00Z"})
    assert second.json["change"] == "CHG-1" and second.json["created"] is False  # type: ignore[index]
    row = only_change(db)
    assert row.state == "implemented" and row.implemented_at is not None
    assert row.implemented_at.isoformat() == "2026-03-01T10:04:00+00:00"


def test_githubs_deployment_status_webhook_is_recorded_with_the_secret_in_the_url(
    client: FlaskClient, db: Database, ci: IntegrationCredentials
) -> None:
    payload = load_fixture("deploy", "github_deployment_status.json")
    response = client.post(f"/api/v1/events/{ci.name}?secret={ci.secret}", json=payload,
                           headers={"X-GitHub-Event": "deployment_status"})  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    row = only_change(db)
    assert (row.service, row.version, row.environment, row.requested_by) == (
        "Hello-World", "master@f95f852", "production", "Codertocat"
    )  # fmt: skip


def test_an_inactive_github_deployment_is_kept_but_records_no_change(
    client: FlaskClient, db: Database, ci: IntegrationCredentials
) -> None:
    payload = load_fixture("deploy", "github_deployment_status.json")
    payload["deployment_status"]["state"] = "inactive"
    response = post_deploy(client, ci, payload)
    assert response.status_code == 202 and response.json["change"] is None  # type: ignore[index]
    assert count(db, Change) == 0
    with db.read() as session:
        assert session.scalars(select(Event.status)).one() == "ignored"


def test_a_malformed_deploy_is_kept_as_unprocessable_and_answered_400(
    client: FlaskClient, db: Database, ci: IntegrationCredentials
) -> None:
    response = post_deploy(client, ci, {"service": "checkout", "status": "done"})
    assert response.status_code == 400 and "'status' must be one of" in response.json["error"]  # type: ignore[index]
    assert count(db, Change) == 0
    with db.read() as session:
        assert session.scalars(select(Event.status)).one() == "unprocessable"


def test_a_deploy_with_a_wrong_secret_is_refused(client: FlaskClient, db: Database, ci: IntegrationCredentials) -> None:
    response = client.post(f"/api/v1/events/{ci.name}", json=DEPLOY, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and count(db, Event) == 0


# -- the JSON API -----------------------------------------------------------------------------------------------


def test_the_api_lists_changes_newest_first(
    client: FlaskClient, ci: IntegrationCredentials, token: dict[str, str]
) -> None:
    post_deploy(client, ci, DEPLOY)
    post_deploy(client, ci, {**DEPLOY, "deploy_id": "run-43", "version": "1.4.3"})
    listed = client.get("/api/v1/changes", headers=token)
    assert listed.status_code == 200
    assert [(c["ref"], c["version"]) for c in listed.json] == [("CHG-2", "1.4.3"), ("CHG-1", "1.4.2")]  # type: ignore[union-attr]


def test_the_api_pages_changes_and_counts_them_all(client: FlaskClient, db: Database, token: dict[str, str]) -> None:
    with db.transaction() as session:
        for title in ("Rotate keys", "Patch kernel", "Resize disk"):
            changes.create(session, changes.NewChange(title=title, type="standard"), "bob@example.com")
    second = client.get("/api/v1/changes?limit=2&page=2", headers=token)
    assert [c["ref"] for c in second.json] == ["CHG-1"] and second.headers["X-Total-Count"] == "3"  # type: ignore[union-attr]


def test_the_api_filters_changes_by_state(
    client: FlaskClient, ci: IntegrationCredentials, token: dict[str, str]
) -> None:
    post_deploy(client, ci, DEPLOY)
    post_deploy(client, ci, {**DEPLOY, "deploy_id": "run-43", "status": "failure"})
    failed = client.get("/api/v1/changes?state=failed", headers=token).json
    assert [c["ref"] for c in failed] == ["CHG-2"]  # type: ignore[union-attr]


def test_one_change_from_the_api_carries_its_plans_and_approvals(
    client: FlaskClient, db: Database, token: dict[str, str]
) -> None:
    with db.transaction() as session:
        changes.create(session, changes.NewChange(title="Rotate keys", approvers=("ann@example.com",),
                                                  backout_plan="restore the old keys"), "bob@example.com")  # fmt: skip
    body = client.get("/api/v1/changes/chg-1", headers=token).json
    assert body["ref"] == "CHG-1" and body["backout_plan"] == "restore the old keys"  # type: ignore[index]
    assert body["approvers"] == ["ann@example.com"] and body["approvals"] == []  # type: ignore[index]


@pytest.mark.parametrize(("path", "status"), [("/api/v1/changes/CHG-9", 404), ("/api/v1/changes?state=odd", 400),
                                              ("/api/v1/changes?limit=0", 400)])  # fmt: skip
def test_the_api_answers_bad_requests_with_a_reason(
    client: FlaskClient, token: dict[str, str], path: str, status: int
) -> None:
    response = client.get(path, headers=token)
    assert response.status_code == status and response.json["error"]  # type: ignore[index]


@pytest.mark.parametrize("path", ["/api/v1/changes", "/api/v1/changes/CHG-1"])
def test_the_changes_api_needs_a_token(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401


def test_an_incident_lists_the_deploy_before_it_as_related(
    client: FlaskClient, ci: IntegrationCredentials, integration: IntegrationCredentials, token: dict[str, str],
    raise_incident: Callable[..., str],
) -> None:  # fmt: skip
    post_deploy(client, ci, DEPLOY)
    ref = raise_incident("Checkout errors", labels={"service": "checkout"})
    related = client.get(f"/api/v1/incidents/{ref}", headers=token).json["related_changes"]  # type: ignore[index]
    assert [(r["ref"], r["likely_culprit"], r["link"]) for r in related] == [
        ("CHG-1", True, "https://ci.example.com/runs/42")
    ]


# -- the pages --------------------------------------------------------------------------------------------------


def _post(client: FlaskClient, path: str, page: str, data: dict[str, str]) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), **data})


def test_an_agent_requests_a_change_with_the_form(db: Database, client: FlaskClient, logged_in: FlaskClient) -> None:
    response = _post(logged_in, "/changes", "/changes", {
        "title": "Upgrade Postfix", "type": "normal", "risk": "medium", "planned_start": "2030-03-01T22:00",
        "planned_end": "2030-03-01T23:00", "approvers": "ann@example.com, agent@example.com", "required_approvals": "1",
    })  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("/changes/CHG-1")
    row = only_change(db)
    assert (row.requested_by, row.risk, row.required_approvals) == ("agent@example.com", "medium", 1)
    assert row.planned_start is not None and row.planned_start.isoformat() == "2030-03-01T22:00:00+00:00"


def test_the_request_form_says_what_each_type_and_the_risk_mean(logged_in: FlaskClient) -> None:
    page = logged_in.get("/changes").get_data(as_text=True)
    for name in ("type", "risk"):  # read out with the field
        assert f'<select aria-describedby="{name}-help" id="{name}"' in page and f'id="{name}-help"' in page
    for kind in ("standard: routine and pre-approved", "normal: assessed, then approved", "emergency: must go in now"):
        assert f"<li>{kind}" in page
    assert "approvers weigh it" in page


def test_a_refused_request_shows_why(db: Database, logged_in: FlaskClient) -> None:
    form = {"title": "x", "type": "normal", "risk": "low", "approvers": "a@example.com", "required_approvals": "3"}
    response = _post(logged_in, "/changes", "/changes", form)
    assert response.status_code == 400
    assert "3 approvals are required but only 1 approver is named; name more approvers or ask for fewer" in (
        response.get_data(as_text=True)
    )


def test_a_named_approver_approves_on_the_page(db: Database, logged_in: FlaskClient) -> None:
    with db.transaction() as session:
        ref = changes.create(session, changes.NewChange(title="Patch", approvers=("agent@example.com",)), "x").ref
        changes.advance(session, ref, "assess", "x")
    page = logged_in.get(f"/changes/{ref}").get_data(as_text=True)
    assert 'action="/changes/CHG-1/approve"' in page
    response = _post(logged_in, "/changes/CHG-1/approve", "/changes/CHG-1", {"comment": "fine by me"})
    assert response.status_code == 302
    assert "CHG-1 is approved." in logged_in.get("/changes/CHG-1").get_data(as_text=True)


def test_an_approver_who_did_not_vote_reads_as_not_needed_once_the_change_is_approved(
    db: Database, logged_in: FlaskClient
) -> None:
    with db.transaction() as session:
        new = changes.NewChange(title="Patch", approvers=("agent@example.com", "ann@example.com"), required_approvals=1)
        ref = changes.create(session, new, "x").ref
        changes.advance(session, ref, "assess", "x")
    _post(logged_in, f"/changes/{ref}/approve", f"/changes/{ref}", {"comment": "fine by me"})
    page = logged_in.get(f"/changes/{ref}").get_data(as_text=True)
    assert "no vote: decided without it" in page and ">waiting<" not in page


def test_a_rejection_reads_rejected_on_the_page(db: Database, logged_in: FlaskClient) -> None:
    with db.transaction() as session:
        ref = changes.create(session, changes.NewChange(title="Patch", approvers=("agent@example.com",)), "x").ref
        changes.advance(session, ref, "assess", "x")
    _post(logged_in, f"/changes/{ref}/reject", f"/changes/{ref}", {"comment": "not this week"})
    assert "<strong>rejected</strong>" in logged_in.get(f"/changes/{ref}").get_data(as_text=True)


def test_the_page_of_a_change_names_the_one_it_clashes_with(db: Database, logged_in: FlaskClient) -> None:
    start = utcnow() + timedelta(days=2)
    with db.transaction() as session:
        catalogue.add_service(session, name="vpn")
        for title in ("Upgrade vpn1 firmware", "Shorten IPsec lifetimes"):
            changes.create(session, changes.NewChange(title=title, type="standard", service="vpn",
                                                      planned_start=start, planned_end=start + timedelta(hours=1)),
                           "x")  # fmt: skip
    page = logged_in.get("/changes/CHG-1").get_data(as_text=True)
    assert 'id="clashes"' in page and 'href="/changes/CHG-2">CHG-2</a> Shorten IPsec lifetimes' in page


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_someone_not_named_as_an_approver_cannot_decide_on_the_change(
    db: Database, client: FlaskClient, make_user: Callable[..., Login], decision: str
) -> None:
    """Working changes is an agent's; deciding on one is only its named approvers', an admin not excepted."""
    with db.transaction() as session:
        ref = changes.create(session, changes.NewChange(title="Patch", approvers=("ann@example.com",)), "x").ref
        changes.advance(session, ref, "assess", "x")
    log_in(client, make_user(email="root@example.com", role="admin"))
    _post(client, f"/changes/{ref}/{decision}", f"/changes/{ref}", {"comment": "fine by me"})
    shown = client.get(f"/changes/{ref}").get_data(as_text=True)
    assert f"root@example.com is not an approver of {ref}; its approvers are ann@example.com" in shown
    with db.read() as session:
        change = session.scalar(select(Change).where(Change.id == int(ref.removeprefix("CHG-"))))
        assert change is not None and change.state == "assessed"


def test_an_action_the_state_refuses_comes_back_as_a_message(db: Database, logged_in: FlaskClient) -> None:
    with db.transaction() as session:
        changes.create(session, changes.NewChange(title="Patch", approvers=("ann@example.com",)), "x")
    _post(logged_in, "/changes/CHG-1/start", "/changes/CHG-1", {})
    assert "only a scheduled change can start" in logged_in.get("/changes/CHG-1").get_data(as_text=True)


def test_a_viewer_cannot_request_a_change(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    response = _post(client, "/changes", "/changes/calendar", {"title": "Sneaky", "type": "standard", "risk": "low"})
    assert response.status_code == 403


def test_the_calendar_shades_freeze_days_and_shows_changes_on_their_days(db: Database, logged_in: FlaskClient) -> None:
    start = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
    with db.transaction() as session:
        changes.add_freeze(session, name="launch", starts_at=start, ends_at=start + timedelta(hours=2),
                           created_by="cli")  # fmt: skip
        changes.create(session, changes.NewChange(title="Swap load balancer", type="standard",
                                                  planned_start=start + timedelta(hours=4)), "x")  # fmt: skip
    for view in ("week", "month"):
        page = logged_in.get(f"/changes/calendar?view={view}&at={start.date().isoformat()}").get_data(as_text=True)
        assert page.count('title="Freeze: launch"') == 1 and page.count("Swap load balancer") == 1


def test_an_empty_calendar_says_nothing_is_planned_and_links_to_the_request_form(logged_in: FlaskClient) -> None:
    page = logged_in.get("/changes/calendar").get_data(as_text=True)
    assert "No change is planned this month." in page
    assert 'href="/changes#request-change">Request a change</a>' in page
    assert 'id="request-change"' in logged_in.get("/changes").get_data(as_text=True)


def test_a_viewer_s_empty_calendar_says_who_plans_changes_without_offering_the_form(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    page = client.get("/changes/calendar?view=week").get_data(as_text=True)
    assert "No change is planned this week." in page and "Agents plan changes on the" in page
    assert "#request-change" not in page


def test_a_calendar_with_a_change_has_no_empty_note(db: Database, logged_in: FlaskClient) -> None:
    with db.transaction() as session:
        changes.create(session, changes.NewChange(title="Patch", type="standard", planned_start=utcnow()), "x")
    assert "No change is planned" not in logged_in.get("/changes/calendar").get_data(as_text=True)


def test_the_incident_page_marks_the_likely_culprit(
    client: FlaskClient, logged_in: FlaskClient, ci: IntegrationCredentials, raise_incident: Callable[..., str]
) -> None:
    post_deploy(client, ci, DEPLOY)
    ref = raise_incident("Checkout errors", labels={"service": "checkout"})
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "likely culprit" in page and 'href="/changes/CHG-1"' in page


# -- links that would run script ----------------------------------------------------------------------------------


def test_a_deploy_whose_link_is_script_is_recorded_without_the_link(
    client: FlaskClient, db: Database, ci: IntegrationCredentials, logged_in: FlaskClient
) -> None:
    assert post_deploy(client, ci, {**DEPLOY, "link": "javascript:fetch('/users')"}).status_code == 202
    assert only_change(db).link is None
    assert "javascript:" not in logged_in.get("/changes/CHG-1").get_data(as_text=True)


def test_a_requested_change_whose_link_is_script_is_refused_saying_what_to_give(
    db: Database, logged_in: FlaskClient
) -> None:
    form = {"title": "Patch", "type": "standard", "risk": "low", "link": " JavaScript:alert(document.cookie)"}
    response = _post(logged_in, "/changes", "/changes", form)
    assert response.status_code == 400 and "not an http:// or https:// address" in response.get_data(as_text=True)
    assert count(db, Change) == 0


def test_a_script_link_stored_before_links_were_checked_is_shown_as_text_only(
    db: Database, logged_in: FlaskClient
) -> None:
    with db.transaction() as session:
        row = changes.create(session, changes.NewChange(title="Patch", type="standard"), "x")
        row.link = "javascript:alert(1)"
    page = logged_in.get("/changes/CHG-1").get_data(as_text=True)
    assert 'href="javascript:' not in page and "javascript:alert(1)" not in page
