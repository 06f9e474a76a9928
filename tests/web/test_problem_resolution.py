"""Resolving a problem with its open incidents from its page and the API: the checkbox, the field and the answer."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from hub import problem_followthrough, problems
from hub.agent_action import Mail
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, OutboxMessage, Problem
from tests.web.helpers import bearer, csrf_token

LEAD = "lead@example.com"
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")


def investigated(db: Database, intake: Intake, requesters: tuple[str, ...]) -> tuple[str, list[str]]:
    """A problem under investigation explaining one mailed request per requester: (its ref, theirs)."""
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: VPN\r\n\r\nit drops")
    ids = []
    for requester in requesters:
        event = InboundEvent(source="email", title="VPN drops", requester=requester, message_id=f"<{requester}>")
        outcome = intake.record(raw, event)
        assert outcome.incident_id is not None
        ids.append(outcome.incident_id)
    number = problems.create(db, "VPN drops every night", LEAD, incident_ids=tuple(ids))
    problems.update_problem(db, number, LEAD, state="investigating", root_cause="Idle tunnels dropped after 60 s")
    return f"PRB-{number}", [f"INC-{i}" for i in ids]


def statuses(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Incident.status).order_by(Incident.id)))


def test_the_page_offers_to_resolve_the_open_incidents_checked_and_says_how_many(
    logged_in: FlaskClient, db: Database, intake: Intake
) -> None:
    ref, _ = investigated(db, intake, ("ann@example.org", "bob@example.org"))
    page = logged_in.get(f"/problems/{ref}").get_data(as_text=True)
    assert '<input type="checkbox" name="resolve_incidents" checked>' in page
    assert "Also resolve its 2 open incidents, telling each requester the problem is fixed" in page


def test_resolving_on_the_page_with_the_box_checked_resolves_them_and_says_which(
    logged_in: FlaskClient, db: Database, intake: Intake
) -> None:
    ref, incidents = investigated(db, intake, ("ann@example.org", "bob@example.org"))
    token = csrf_token(logged_in.get(f"/problems/{ref}").get_data(as_text=True))
    page = logged_in.post(f"/problems/{ref}", data={"csrf_token": token, "state": "resolved",
                                                    "resolve_incidents": "on"}, follow_redirects=True)  # fmt: skip
    said = f"{ref} resolved; 2 open incidents resolved with it ({incidents[0]}, {incidents[1]})."
    assert said in page.get_data(as_text=True)
    assert statuses(db) == ["resolved", "resolved"]


def test_resolving_on_the_page_with_the_box_unchecked_leaves_them_open(
    logged_in: FlaskClient, db: Database, intake: Intake
) -> None:
    ref, _ = investigated(db, intake, ("ann@example.org",))
    token = csrf_token(logged_in.get(f"/problems/{ref}").get_data(as_text=True))
    page = logged_in.post(f"/problems/{ref}", data={"csrf_token": token, "state": "resolved"}, follow_redirects=True)
    assert f"{ref} saved." in page.get_data(as_text=True)
    assert statuses(db) == ["open"]


def test_a_resolved_problem_with_incidents_still_open_offers_to_resolve_them(
    logged_in: FlaskClient, db: Database, intake: Intake
) -> None:
    ref, incidents = investigated(db, intake, ("ann@example.org",))
    problems.update_problem(db, int(ref.removeprefix("PRB-")), LEAD, state="resolved")
    page = logged_in.get(f"/problems/{ref}").get_data(as_text=True)
    assert "1 of its incidents is still open." in page and "Resolve it</button>" in page
    answer = logged_in.post(f"/problems/{ref}", data={"csrf_token": csrf_token(page), "resolve_incidents": "on"},
                            follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert f"{ref} resolved; 1 open incident resolved with it ({incidents[0]})." in answer
    assert "still open." not in answer and statuses(db) == ["resolved"]


def test_a_token_resolves_the_open_incidents_with_the_problem_when_it_asks(
    client: FlaskClient, db: Database, intake: Intake, agent_token: str
) -> None:
    ref, incidents = investigated(db, intake, ("ann@example.org", "bob@example.org"))
    response = client.patch(f"/api/v1/problems/{ref}", json={"state": "resolved", "resolve_incidents": True},
                            headers=bearer(agent_token))  # fmt: skip
    assert response.status_code == 200
    assert response.json is not None and response.json["state"] == "resolved"
    assert (response.json["incidents_resolved"], response.json["incidents_still_open"]) == (incidents, 0)
    assert response.json["message"] == f"{ref} resolved; 2 open incidents resolved with it ({', '.join(incidents)})"
    with db.read() as session:
        told = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "resolved")).all()
    assert sorted(told) == ["ann@example.org", "bob@example.org"]


def test_a_token_that_does_not_ask_leaves_the_incidents_open_as_before(
    client: FlaskClient, db: Database, intake: Intake, agent_token: str
) -> None:
    ref, _ = investigated(db, intake, ("ann@example.org",))
    response = client.patch(f"/api/v1/problems/{ref}", json={"state": "resolved"}, headers=bearer(agent_token))
    assert response.status_code == 200 and response.json is not None
    assert "incidents_resolved" not in response.json and statuses(db) == ["open"]


def test_asking_to_resolve_incidents_of_a_problem_not_resolved_is_a_409_saying_what_to_do(
    client: FlaskClient, db: Database, intake: Intake, agent_token: str
) -> None:
    ref, _ = investigated(db, intake, ("ann@example.org",))
    response = client.patch(f"/api/v1/problems/{ref}", json={"resolve_incidents": True}, headers=bearer(agent_token))
    assert response.status_code == 409 and response.json is not None
    assert (
        response.json["error"] == f"incidents are resolved with their problem; resolve {ref} too (its state resolved)"
    )
    not_a_flag = client.patch(f"/api/v1/problems/{ref}", json={"resolve_incidents": "yes"}, headers=bearer(agent_token))
    assert not_a_flag.status_code == 400 and statuses(db) == ["open"]


def marked(db: Database, intake: Intake, count: int) -> tuple[str, int]:
    """A resolved problem whose `count` open incidents are being resolved in the background, as the request past
    its batch leaves it."""
    ref, _ = investigated(db, intake, tuple(f"user{n}@example.org" for n in range(count)))
    number = int(ref.removeprefix("PRB-"))
    problems.update_problem(db, number, LEAD, state="resolved")
    with db.transaction() as session:
        problem_followthrough.mark(session.get_one(Problem, number), LEAD)
    return ref, number


def test_the_page_shows_the_background_progress_until_none_is_open(
    logged_in: FlaskClient, db: Database, intake: Intake
) -> None:
    ref, number = marked(db, intake, 3)
    problem_followthrough.resolve_batch(db, number, MAIL, limit=1)
    page = logged_in.get(f"/problems/{ref}").get_data(as_text=True)
    assert "Resolving its incidents: 2 still open" in page and "Resolve them</button>" not in page
    problem_followthrough.sweep(db, MAIL)
    assert "Resolving its incidents" not in logged_in.get(f"/problems/{ref}").get_data(as_text=True)


def test_the_apis_problem_says_how_far_the_background_resolving_has_come(
    client: FlaskClient, db: Database, intake: Intake, agent_token: str
) -> None:
    ref, _ = marked(db, intake, 2)
    found = client.get(f"/api/v1/problems/{ref}", headers=bearer(agent_token)).json
    assert found is not None and found["resolving_incidents"]["asked_by"] == LEAD
    assert found["resolving_incidents"]["still_open"] == 2
    [listed] = client.get("/api/v1/problems", headers=bearer(agent_token)).json  # type: ignore[misc]
    assert listed["resolving_incidents"] == found["resolving_incidents"]
    problem_followthrough.sweep(db, MAIL)
    done = client.get(f"/api/v1/problems/{ref}", headers=bearer(agent_token)).json
    assert done is not None and done["resolving_incidents"] is None
