"""Deciding approvals on the web: the page an "Approve or reject" link opens (no login, the signed link names the
approver), the incident page's Approvals box, and a person's own Approvals page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from hub import accounts, approval_links, approvals, triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from tests.docs import fenced, run_as_printed
from tests.web.conftest import PASSWORD
from tests.web.helpers import Login, csrf_token, log_in

ALERT = Raw(source="generic", content_type="application/json", body=b"{}")
MAIL = Mail("helpdesk@localhost", "http://x")
MANAGER = "manager@example.com"
HOSTILE = '<script>alert("approve")</script>'


@pytest.fixture
def incident_id(intake: Intake, make_user: Callable[..., Login]) -> int:
    make_user("agent@example.com")
    make_user(MANAGER, role="viewer")
    outcome = intake.record(ALERT, InboundEvent(source="generic", title="A laptop for Carol", dedup_key="laptop"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def ask(db: Database, incident_id: int, note: str = "Within budget?") -> approvals.Approval:
    return approvals.ask(db, incident_id, MANAGER, note, Actor("agent@example.com"), MAIL)


def link(settings: Settings, approval_id: int, person: str = MANAGER) -> str:
    return f"/approve/{approval_links.LINKS.sign(settings.secret_key, approval_id, person)}"


def state(db: Database, approval_id: int) -> str:
    with db.read() as session:
        return approvals.get(session, approval_id).state


def press(client: FlaskClient, path: str, decision: str, comment: str = "") -> tuple[int, str]:
    page = client.get(path).get_data(as_text=True)
    answer = client.post(path, data={"csrf_token": csrf_token(page), "decision": decision, "comment": comment},
                         follow_redirects=True)  # fmt: skip
    return answer.status_code, answer.get_data(as_text=True)


def test_following_the_link_shows_the_request_and_changes_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    asked = ask(db, incident_id)
    page = client.get(link(settings, asked.id))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "A laptop for Carol" in html and "Within budget?" in html
    assert ">Approve</button>" in html and ">Reject</button>" in html
    assert state(db, asked.id) == "pending"


def test_approving_through_the_link_decides_as_the_approver(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    asked = ask(db, incident_id)
    code, html = press(client, link(settings, asked.id), "approve", "Fine by me")
    assert code == 200 and f"Approved as {MANAGER}" in html
    with db.read() as session:
        assert (approvals.get(session, asked.id).state, approvals.get(session, asked.id).comment) == (
            "approved", "Fine by me")  # fmt: skip


def test_a_second_press_is_refused_and_the_first_decision_stands(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    asked = ask(db, incident_id)
    path = link(settings, asked.id)
    page = client.get(path).get_data(as_text=True)
    client.post(path, data={"csrf_token": csrf_token(page), "decision": "approve"})
    second = client.post(path, data={"csrf_token": csrf_token(page), "decision": "reject"})
    assert second.status_code == 409 and "approved already" in second.get_data(as_text=True)
    assert state(db, asked.id) == "approved"


def test_a_link_for_a_deactivated_approver_decides_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    asked = ask(db, incident_id)
    path = link(settings, asked.id)
    page = client.get(path).get_data(as_text=True)
    with db.transaction() as session:
        accounts.change_user(session, MANAGER, active=False)
    answer = client.post(path, data={"csrf_token": csrf_token(page), "decision": "approve"})
    assert answer.status_code == 410
    assert state(db, asked.id) == "pending"


def test_a_link_signed_for_someone_else_decides_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    asked = ask(db, incident_id)
    assert client.get(link(settings, asked.id, "agent@example.com")).status_code == 410


def test_a_post_without_the_pages_token_decides_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    asked = ask(db, incident_id)
    assert client.post(link(settings, asked.id), data={"decision": "approve"}).status_code == 400
    assert state(db, asked.id) == "pending"


def test_a_hostile_title_and_note_show_as_text_on_the_approve_page(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    triage.retitle(db, incident_id, HOSTILE, Actor("agent@example.com"))
    asked = ask(db, incident_id, note=HOSTILE)
    html = client.get(link(settings, asked.id)).get_data(as_text=True)
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_someone_else_logged_in_cannot_decide_an_approval(client: FlaskClient, db: Database, incident_id: int) -> None:
    asked = ask(db, incident_id)
    log_in(client, Login("agent@example.com", PASSWORD))
    token = csrf_token(client.get("/approvals").get_data(as_text=True))
    answer = client.post(f"/approvals/{asked.id}/decision", data={"csrf_token": token, "decision": "approve"})
    assert answer.status_code == 403
    assert state(db, asked.id) == "pending"


def test_a_viewer_decides_their_own_approval_from_their_approvals_page(
    client: FlaskClient, db: Database, incident_id: int
) -> None:
    asked = ask(db, incident_id)
    log_in(client, Login(MANAGER, PASSWORD))
    page = client.get("/approvals").get_data(as_text=True)
    assert "A laptop for Carol" in page
    answer = client.post(f"/approvals/{asked.id}/decision",
                         data={"csrf_token": csrf_token(page), "decision": "reject", "comment": "No budget"},
                         follow_redirects=True)  # fmt: skip
    assert answer.status_code == 200 and "rejected" in answer.get_data(as_text=True)
    assert state(db, asked.id) == "rejected"


def test_an_agent_asks_for_and_withdraws_an_approval_on_the_incident_page(
    client: FlaskClient, db: Database, incident_id: int
) -> None:
    log_in(client, Login("agent@example.com", PASSWORD))
    page = client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    assert 'id="approvals"' in page
    asked = client.post(f"/incidents/INC-{incident_id}/ask_approval",
                        data={"csrf_token": csrf_token(page), "approver": MANAGER, "note": "Budget?"},
                        follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert f"awaits {MANAGER}&#39;s approval" in asked and "pending" in asked
    with db.read() as session:
        [approval] = approvals.of_incident(session, incident_id)
    client.post(f"/incidents/INC-{incident_id}/withdraw_approval",
                data={"csrf_token": csrf_token(asked), "approval": approval.id})  # fmt: skip
    assert state(db, approval.id) == "withdrawn"


def test_the_incident_page_says_it_awaits_approval_only_while_one_is_pending(
    client: FlaskClient, db: Database, incident_id: int
) -> None:
    log_in(client, Login("agent@example.com", PASSWORD))
    assert "awaiting approval</a>" not in client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    approval = ask(db, incident_id)
    assert "awaiting approval</a>" in client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    approvals.withdraw(db, approval.id, Actor("agent@example.com"), MAIL)
    assert "awaiting approval</a>" not in client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)


def test_the_list_marks_and_filters_the_incidents_awaiting_approval(
    client: FlaskClient, db: Database, intake: Intake, incident_id: int
) -> None:
    other = intake.record(ALERT, InboundEvent(source="generic", title="Disk full on db1", dedup_key="disk"))
    ask(db, incident_id)
    log_in(client, Login("agent@example.com", PASSWORD))
    everything = client.get("/incidents").get_data(as_text=True)
    assert everything.count("awaiting approval</span>") == 1 and "Disk full on db1" in everything
    awaiting = client.get("/incidents?approval=pending").get_data(as_text=True)
    assert "A laptop for Carol" in awaiting and "Disk full on db1" not in awaiting
    assert other.incident_id is not None


def test_the_api_asks_lists_and_withdraws_approvals(client: FlaskClient, db: Database, incident_id: int) -> None:
    with db.transaction() as session:
        token = accounts.create_token(session, name="desk-bot", role="agent")
    headers = {"Authorization": f"Bearer {token}"}
    ref = f"INC-{incident_id}"
    asked = client.post(f"/api/v1/incidents/{ref}/approvals", json={"approver": MANAGER, "note": "Budget?"},
                        headers=headers)  # fmt: skip
    assert asked.status_code == 201 and asked.json["state"] == "pending" and asked.json["asked_by"] == "token:desk-bot"
    again = client.post(f"/api/v1/incidents/{ref}/approvals", json={"approver": MANAGER}, headers=headers)
    assert again.status_code == 409 and "pending" in again.json["error"]
    listed = client.get(f"/api/v1/incidents/{ref}/approvals", headers=headers)
    assert [a["approver"] for a in listed.json] == [MANAGER]
    assert client.get("/api/v1/incidents?approval=pending", headers=headers).json[0]["ref"] == ref
    withdrawn = client.post(f"/api/v1/approvals/{asked.json['id']}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"


def test_only_an_admin_token_records_a_decision_and_only_for_the_approver_asked(
    client: FlaskClient, db: Database, incident_id: int
) -> None:
    with db.transaction() as session:
        agent = accounts.create_token(session, name="agent-bot", role="agent")
        admin = accounts.create_token(session, name="admin-bot", role="admin")
    asked = ask(db, incident_id)
    path = f"/api/v1/approvals/{asked.id}/decision"
    body = {"decision": "approve", "approver": MANAGER, "comment": "On the phone"}
    assert client.post(path, json=body, headers={"Authorization": f"Bearer {agent}"}).status_code == 403
    someone_else = {**body, "approver": "agent@example.com"}
    assert client.post(path, json=someone_else, headers={"Authorization": f"Bearer {admin}"}).status_code == 403
    recorded = client.post(path, json=body, headers={"Authorization": f"Bearer {admin}"})
    assert recorded.status_code == 200 and recorded.json["state"] == "approved"
    twice = client.post(path, json=body, headers={"Authorization": f"Bearer {admin}"})
    assert twice.status_code == 409


def test_a_decision_an_admin_token_records_names_it_as_token_colon_name(
    client: FlaskClient, db: Database, incident_id: int
) -> None:
    with db.transaction() as session:
        admin = accounts.create_token(session, name="admin-bot", role="admin")
    asked = ask(db, incident_id)
    body = {"decision": "approve", "approver": MANAGER}
    client.post(f"/api/v1/approvals/{asked.id}/decision", json=body, headers={"Authorization": f"Bearer {admin}"})
    timeline = client.get(f"/api/v1/incidents/INC-{incident_id}", headers={"Authorization": f"Bearer {admin}"})
    decided = [e for e in timeline.json["timeline"] if e["kind"] == "approval"][-1]  # type: ignore[index]
    assert decided["data"]["recorded_by"] == "token:admin-bot" and "(recorded by token:admin-bot)" in decided["summary"]


def test_the_documented_api_examples_run_as_printed(
    live_url: str, settings: Settings, tmp_path: Path, incident_id: int, agent_token: str,
    make_user: Callable[..., Login],
) -> None:  # fmt: skip
    make_user("boss@example.com", role="viewer")
    assert incident_id == 1, "the document names INC-1"
    [example] = fenced("docs/approvals.md", "Through the API", "sh")
    printed = run_as_printed(example.replace("http://127.0.0.1:8000", live_url), settings, tmp_path, TOKEN=agent_token)
    assert printed.splitlines() == [
        '{"id":1,"approver":"boss@example.com","state":"pending"}', "INC-1 A laptop for Carol",
        "1 pending boss@example.com", "withdrawn",
    ]  # fmt: skip
