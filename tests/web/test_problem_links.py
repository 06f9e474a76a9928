"""Linking an incident to a problem that already exists, and taking it back: on the incident page (agents) and in
the API (agent and admin tokens), each change on the incident's timeline and in the audit log."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, problems
from hub.db import Database
from hub.models import AuditEntry, Incident, TimelineEntry
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import csrf_token, post_event


def opened(client: FlaskClient, integration: IntegrationCredentials, title: str = "Disk full on db1") -> str:
    answer = post_event(client, integration.name, integration.secret, {"title": title, "dedup_key": title})
    return str(answer.json["incident"])  # type: ignore[index]


def filed(db: Database, title: str, state: str | None = None) -> int:
    number = problems.create(db, title, "lead@example.com")
    if state is not None:
        problems.update_problem(db, number, "lead@example.com", state=state)
    return number


def act(client: FlaskClient, ref: str, action: str, **form: str) -> str:
    token = csrf_token(client.get(f"/incidents/{ref}").get_data(as_text=True))
    response = client.post(f"/incidents/{ref}/{action}", data={"csrf_token": token, **form}, follow_redirects=True)
    return response.get_data(as_text=True)


def problem_of(db: Database, ref: str) -> int | None:
    with db.read() as session:
        return session.scalar(select(Incident.problem_id).where(Incident.id == int(ref.removeprefix("INC-"))))


def trail(db: Database, ref: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The incident's problem entries on its timeline, and the audit log's problem links."""
    number = int(ref.removeprefix("INC-"))
    with db.read() as session:
        entries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == number,
                                                                      TimelineEntry.kind == "problem"))  # fmt: skip
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action.like("problem.%link")))
        return list(entries), [(a.actor, a.action, a.target) for a in audit]


def test_the_incident_page_offers_open_problems_only(
    logged_in: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    filed(db, "Disks fill up overnight")
    filed(db, "Old <b>VPN</b> drops", "closed")
    page = logged_in.get(f"/incidents/{opened(logged_in, integration)}").get_data(as_text=True)
    assert '<option value="PRB-1: Disks fill up overnight">' in page
    assert "PRB-2" not in page and "<b>VPN" not in page


def test_an_agent_links_an_incident_to_a_problem_by_its_reference_and_unlinks_it(
    logged_in: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    ref, problem = opened(logged_in, integration), filed(db, "Disks fill up overnight")
    page = act(logged_in, ref, "problem", problem="PRB-1: Disks fill up overnight")
    assert f"{ref} is part of PRB-1 now." in page and "Part of problem" in page and "Unlink from PRB-1" in page
    assert problem_of(db, ref) == problem
    page = act(logged_in, ref, "unproblem")
    assert f"{ref} is no longer part of PRB-1." in page and "Part of problem" not in page
    assert problem_of(db, ref) is None
    entries, audit = trail(db, ref)
    assert entries == ["Linked to PRB-1: Disks fill up overnight (by agent@example.com)",
                       "Unlinked from PRB-1 by agent@example.com"]  # fmt: skip
    assert audit == [("agent@example.com", "problem.link", "PRB-1"), ("agent@example.com", "problem.unlink", "PRB-1")]


def test_typing_an_open_problems_title_links_to_it_and_another_moves_it(
    logged_in: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    ref = opened(logged_in, integration)
    filed(db, "Disks fill up overnight")
    second = filed(db, "Backups run too long")
    act(logged_in, ref, "problem", problem="PRB-1")
    assert f"{ref} is part of PRB-2 now." in act(logged_in, ref, "problem", problem="backups run too long")
    assert problem_of(db, ref) == second
    assert trail(db, ref)[0][-1].endswith(", moved from PRB-1")


def test_a_closed_or_unknown_problem_is_refused_saying_what_to_do(
    logged_in: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    ref = opened(logged_in, integration)
    filed(db, "Old VPN drops", "closed")
    assert "PRB-1 is closed: link the incident to an open problem" in act(logged_in, ref, "problem", problem="PRB-1")
    assert "No open problem has the title" in act(logged_in, ref, "problem", problem="Old VPN drops")
    assert problem_of(db, ref) is None and trail(db, ref) == ([], [])


def test_the_api_links_and_unlinks_and_the_incident_names_its_problem(
    client: FlaskClient, integration: IntegrationCredentials, db: Database, agent_token: str
) -> None:
    ref, headers = opened(client, integration), {"Authorization": f"Bearer {agent_token}"}
    filed(db, "Disks fill up overnight")
    linked = client.put(f"/api/v1/incidents/{ref}/problem", json={"problem": "PRB-1"}, headers=headers)
    assert linked.status_code == 200 and linked.json["problem"] == "PRB-1"  # type: ignore[index]
    unlinked = client.delete(f"/api/v1/incidents/{ref}/problem", headers=headers)
    assert unlinked.status_code == 200 and unlinked.json["problem"] is None  # type: ignore[index]
    by = "token:chatops"
    assert trail(db, ref)[1] == [(by, "problem.link", "PRB-1"), (by, "problem.unlink", "PRB-1")]


def test_the_api_says_what_is_wrong_with_a_link(
    client: FlaskClient, integration: IntegrationCredentials, db: Database, agent_token: str
) -> None:
    ref, headers = opened(client, integration), {"Authorization": f"Bearer {agent_token}"}
    filed(db, "Old VPN drops", "closed")
    url = f"/api/v1/incidents/{ref}/problem"
    assert client.put(url, json={"problem": "1"}, headers=headers).status_code == 400
    assert client.put(url, json={"problem": "PRB-9"}, headers=headers).status_code == 404
    assert client.put(url, json={"problem": "PRB-1"}, headers=headers).status_code == 409
    assert client.put("/api/v1/incidents/INC-99/problem", json={"problem": "PRB-1"}, headers=headers).status_code == 404


def test_a_viewer_token_cannot_link_incidents_to_problems(
    client: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    ref = opened(client, integration)
    filed(db, "Disks fill up overnight")
    with db.transaction() as session:
        headers = {"Authorization": f"Bearer {accounts.create_token(session, name='wall', role='viewer')}"}
    assert client.put(f"/api/v1/incidents/{ref}/problem", json={"problem": "PRB-1"}, headers=headers).status_code == 403
    assert client.delete(f"/api/v1/incidents/{ref}/problem", headers=headers).status_code == 403


def test_a_known_errors_workaround_goes_into_a_reply_to_a_linked_incidents_requester(
    logged_in: FlaskClient, db: Database
) -> None:
    """An incident linked by hand had no workaround in its acknowledgement; one link starts the reply with it."""
    with db.transaction() as session:
        headers = {"Authorization": f"Bearer {accounts.create_token(session, name='desk', role='agent')}"}
    logged = logged_in.post("/api/v1/incidents", headers=headers,
                            json={"title": "Cannot reach the intranet", "requester": "ann@example.org"})  # fmt: skip
    ref = str(logged.json["ref"])  # type: ignore[index]
    number = filed(db, "VPN tunnel drops")
    problems.update_problem(db, number, "lead@example.com", workaround="Reconnect the VPN client.")
    problems.update_problem(db, number, "lead@example.com", state="known_error")
    act(logged_in, ref, "problem", problem=f"PRB-{number}")
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f'href="/incidents/{ref}?workaround=1#reply-text"' in page
    prefilled = logged_in.get(f"/incidents/{ref}?workaround=1").get_data(as_text=True)
    assert "While we fix the cause, this works around it:\nReconnect the VPN client.\n</textarea>" in prefilled


def test_no_workaround_is_put_in_a_reply_before_the_problem_is_a_known_error(
    logged_in: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    ref = opened(logged_in, integration)
    number = filed(db, "Disks fill up")
    problems.update_problem(db, number, "lead@example.com", workaround="Rotate the logs.")
    act(logged_in, ref, "problem", problem=f"PRB-{number}")
    assert "Rotate the logs." not in logged_in.get(f"/incidents/{ref}?workaround=1").get_data(as_text=True)
