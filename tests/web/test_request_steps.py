"""A request type's fulfilment steps (hub/request_steps.py): checked as an admin gives them on the form, the command
line and the API; copied onto each request as the intake opens it; ticked off and undone by agents on the incident
page, the command line and the API, each on the timeline; refused to viewers; and no query for events without a
request type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import request_steps, request_types
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.errors import BadField
from hub.intake import Intake, Raw
from hub.models import Incident, TimelineEntry
from hub.request_steps import Planned
from tests.docs import fenced, run_as_printed
from tests.hub.commands import refused, run
from tests.staff import agents
from tests.web.helpers import Login, csrf_token, log_in, statements, token_headers

STEPS = ["Order it", "Image it", "Hand it over"]
RAW = Raw(source="generic", content_type="application/json", body=b"{}")


def laptop(db: Database, steps: list[str] = STEPS) -> None:
    with db.transaction() as session:
        request_types.add(session, name="New laptop", summary="A laptop for a new starter", steps=steps)


def opened(intake: Intake, title: str = "A laptop for Dana") -> int:
    """A request of the laptop type, as the help centre's confirmed form records it."""
    outcome = intake.record(RAW, InboundEvent(source="generic", title=title, request_type="New laptop"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def laptop_request(db: Database, intake: Intake) -> int:
    """The laptop type with its steps, and one request of it: where most of these tests start."""
    laptop(db)
    return opened(intake)


def steps_of(db: Database, incident_id: int) -> list[tuple[str, str | None]]:
    with db.read() as session:
        return [(s.text, s.done_by) for s in request_steps.of_incident(session, incident_id)]


def timeline(db: Database, incident_id: int) -> list[str]:
    with db.read() as session:
        query = select(TimelineEntry.summary).where(
            TimelineEntry.incident_id == incident_id, TimelineEntry.kind == "step"
        )
        return list(session.scalars(query.order_by(TimelineEntry.id)))


@pytest.mark.parametrize(
    ("steps", "said"),
    [
        ([f"Step {n}" for n in range(21)], "at most 20 steps"),
        (["Order it", "Image it\nthen ship it"], "step 2 needs 1 to 200 characters on one line"),
        (["x" * 201], "step 1 needs 1 to 200 characters"),
        (["Order it", "  "], "step 2 needs 1 to 200 characters"),
    ],
)
def test_steps_too_many_too_long_or_on_two_lines_are_refused_naming_the_field(
    db: Database, steps: list[str], said: str
) -> None:
    with db.transaction() as session, pytest.raises(BadField) as refusal:
        request_types.add(session, name="New laptop", summary="A laptop", steps=steps)
    assert refusal.value.field == "steps" and said in str(refusal.value)


def test_a_request_gets_its_types_steps_and_a_later_edit_of_the_type_leaves_them(db: Database, intake: Intake) -> None:
    laptop(db)
    first = opened(intake)
    with db.transaction() as session:
        request_types.change(session, "New laptop", steps=["Just ship it"])
    second = opened(intake, "A laptop for Eve")
    assert steps_of(db, first) == [(step, None) for step in STEPS]
    assert steps_of(db, second) == [("Just ship it", None)]


def test_an_event_naming_no_request_type_writes_no_steps(db: Database, intake: Intake) -> None:
    laptop(db)
    with statements(db) as sent:
        intake.record(RAW, InboundEvent(source="generic", title="Disk full", dedup_key="disk"))
    assert sent and not [s for s in sent if "request_steps" in s or "request_types" in s]


def page_tick(client: FlaskClient, incident_id: int, step: int, done: str) -> str:
    page = client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    fields = {"csrf_token": csrf_token(page), "step": str(step), "done": done}
    answer = client.post(f"/incidents/INC-{incident_id}/step", data=fields, follow_redirects=True)
    return answer.get_data(as_text=True)


def test_an_agent_ticks_a_step_off_on_the_page_and_undoes_it_each_on_the_timeline(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, intake: Intake
) -> None:
    incident_id = laptop_request(db, intake)
    log_in(client, make_user(email="ann@example.com", role="agent"))
    page = client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    assert '<section class="card" id="steps">' in page and 'aria-pressed="false"' in page
    assert f"INC-{incident_id} step 1 done: Order it." in page_tick(client, incident_id, 1, "yes")
    assert steps_of(db, incident_id)[0] == ("Order it", "ann@example.com")
    page_tick(client, incident_id, 1, "no")
    assert steps_of(db, incident_id)[0] == ("Order it", None)
    assert timeline(db, incident_id) == ["Step done: Order it", "Step not done after all: Order it"]


def test_a_viewer_sees_the_steps_but_cannot_tick_them(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, intake: Intake
) -> None:
    incident_id = laptop_request(db, intake)
    log_in(client, make_user(email="vic@example.com", role="viewer"))
    page = client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    assert "Hand it over" in page and "aria-pressed" not in page
    fields = {"csrf_token": csrf_token(page), "step": "1", "done": "yes"}
    assert client.post(f"/incidents/INC-{incident_id}/step", data=fields).status_code == 403
    assert steps_of(db, incident_id)[0] == ("Order it", None)


def test_resolving_with_steps_not_done_says_how_many(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, intake: Intake
) -> None:
    incident_id = laptop_request(db, intake)
    log_in(client, make_user(email="ann@example.com", role="agent"))
    page_tick(client, incident_id, 1, "yes")
    page = client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    fields = {"csrf_token": csrf_token(page), "resolution": "Dana has it"}
    said = client.post(f"/incidents/INC-{incident_id}/resolve", data=fields, follow_redirects=True)
    assert f"INC-{incident_id} now resolved; 2 steps were not done." in said.get_data(as_text=True)


def test_the_api_ticks_a_step_off_and_undoes_it_and_refuses_a_step_there_is_not(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    incident_id = laptop_request(db, intake)
    headers = token_headers(db, name="bot", role="agent")
    path = f"/api/v1/incidents/INC-{incident_id}/steps"
    done = client.post(f"{path}/2", json={"done": True}, headers=headers)
    assert done.status_code == 200 and done.json is not None
    assert [(s["text"], s["done"], s["done_by"]) for s in done.json][:2] == [
        ("Order it", False, None),
        ("Image it", True, "token:bot"),  # a desk token is named as one wherever it acts
    ]
    assert client.post(f"{path}/2", json={"done": False}, headers=headers).status_code == 200
    assert timeline(db, incident_id) == ["Step done: Image it", "Step not done after all: Image it"]
    assert client.post(f"{path}/4", json={"done": True}, headers=headers).status_code == 404
    assert client.post(f"{path}/1", json={"done": "yes"}, headers=headers).status_code == 400


def test_the_incident_read_through_the_api_lists_its_steps_as_they_stand(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    incident_id = laptop_request(db, intake)
    headers = token_headers(db, name="bot", role="agent")
    client.post(f"/api/v1/incidents/INC-{incident_id}/steps/1", json={"done": True}, headers=headers)
    read = client.get(f"/api/v1/incidents/INC-{incident_id}", headers=headers).json
    assert read is not None
    assert [(s["position"], s["text"], s["done"]) for s in read["steps"]] == [
        (1, "Order it", True),
        (2, "Image it", False),
        (3, "Hand it over", False),
    ]


def test_a_viewer_token_cannot_tick_a_step(client: FlaskClient, db: Database, intake: Intake) -> None:
    incident_id = laptop_request(db, intake)
    headers = token_headers(db, name="look", role="viewer")
    answer = client.post(f"/api/v1/incidents/INC-{incident_id}/steps/1", json={"done": True}, headers=headers)
    assert answer.status_code == 403
    assert timeline(db, incident_id) == []


def test_the_command_line_ticks_a_step_off_and_undoes_it(runner: CliRunner, db: Database, intake: Intake) -> None:
    laptop(db)
    agents(db, "ann@example.com")
    incident_id = opened(intake)
    ref = f"INC-{incident_id}"
    assert run(runner, "incident", "step", ref, "3", "done", "--as", "ann@example.com") == (
        f"{ref} step 3 done: Hand it over\n"
    )
    assert run(runner, "incident", "step", ref, "3", "done", "--as", "ann@example.com") == (
        f"{ref} step 3 was already done\n"
    )
    shown = run(runner, "incident", "show", ref).splitlines()
    assert shown[shown.index("step 1: Order it (not done)") + 2].startswith(
        "step 3: Hand it over (done by ann@example.com, "
    )
    run(runner, "incident", "step", ref, "3", "undo", "--as", "ann@example.com")
    assert timeline(db, incident_id) == ["Step done: Hand it over", "Step not done after all: Hand it over"]
    assert "has no step 9: its steps are 1 to 3" in refused(runner, "incident", "step", ref, "9", "done", "--as",
                                                            "ann@example.com")  # fmt: skip


def test_ticking_a_step_of_an_incident_without_steps_says_it_has_none(
    runner: CliRunner, db: Database, intake: Intake
) -> None:
    agents(db, "ann@example.com")
    outcome = intake.record(RAW, InboundEvent(source="generic", title="Printer jammed"))
    said = refused(runner, "incident", "step", f"INC-{outcome.incident_id}", "1", "done", "--as", "ann@example.com")
    assert f"INC-{outcome.incident_id} has no steps: only a request opened from a request type" in said


def now_status(db: Database, incident_id: int, status: str) -> None:
    with db.transaction() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        incident.status = status


def test_a_closed_requests_page_offers_no_tick_and_refuses_one_saying_to_reopen_it(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, intake: Intake
) -> None:
    incident_id = laptop_request(db, intake)
    log_in(client, make_user(email="ann@example.com", role="agent"))
    token = csrf_token(client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True))
    now_status(db, incident_id, "closed")
    page = client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    assert "Hand it over" in page and "aria-pressed" not in page
    fields = {"csrf_token": token, "step": "1", "done": "yes"}
    said = client.post(f"/incidents/INC-{incident_id}/step", data=fields, follow_redirects=True)
    assert f"INC-{incident_id} is closed; reopen it first to tick its steps" in said.get_data(as_text=True)
    assert timeline(db, incident_id) == []


def test_the_api_refuses_a_step_of_a_closed_request_with_409_as_other_refused_actions(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    incident_id = laptop_request(db, intake)
    now_status(db, incident_id, "closed")
    headers = token_headers(db, name="bot", role="agent")
    answer = client.post(f"/api/v1/incidents/INC-{incident_id}/steps/1", json={"done": True}, headers=headers)
    assert answer.status_code == 409 and answer.json == {
        "error": f"INC-{incident_id} is closed; reopen it first to tick its steps"
    }


def test_a_resolved_requests_steps_are_still_ticked_off(client: FlaskClient, db: Database, intake: Intake) -> None:
    incident_id = laptop_request(db, intake)
    now_status(db, incident_id, "resolved")
    headers = token_headers(db, name="bot", role="agent")
    answer = client.post(f"/api/v1/incidents/INC-{incident_id}/steps/1", json={"done": True}, headers=headers)
    assert answer.status_code == 200 and timeline(db, incident_id) == ["Step done: Order it"]


def test_the_command_line_refuses_a_step_of_a_closed_request_saying_to_reopen_it(
    runner: CliRunner, db: Database, intake: Intake
) -> None:
    laptop(db)
    agents(db, "ann@example.com")
    incident_id = opened(intake)
    now_status(db, incident_id, "closed")
    said = refused(runner, "incident", "step", f"INC-{incident_id}", "1", "undo", "--as", "ann@example.com")
    assert f"INC-{incident_id} is closed; reopen it first to tick its steps" in said


def test_the_command_line_sets_and_clears_a_types_steps(runner: CliRunner) -> None:
    added = run(runner, "request-type", "add", "New laptop", "--summary", "A laptop", "--step", "Order it",
                "--step", "Hand it over")  # fmt: skip
    assert "steps: Order it; Hand it over" in added
    assert "steps: none" in run(runner, "request-type", "set", "New laptop", "--no-steps")
    assert "step 1 needs 1 to 200" in refused(runner, "request-type", "set", "New laptop", "--step", " ")


def test_the_form_saves_the_steps_one_a_line(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    log_in(client, make_user(email="admin@example.com", role="admin"))
    token = csrf_token(client.get("/request-types/new").get_data(as_text=True))
    fields = {"csrf_token": token, "name": "New laptop", "summary": "A laptop", "steps": "Order it\r\n\r\nImage it\r\n"}
    assert client.post("/request-types/new", data=fields).status_code == 303
    with db.read() as session:
        assert request_types.named(session, "New laptop").steps == (Planned("Order it"), Planned("Image it"))


def test_the_api_sets_the_steps_and_refuses_a_string_naming_the_field(client: FlaskClient, db: Database) -> None:
    headers = token_headers(db, name="admin", role="admin")
    made = client.post("/api/v1/request-types", json={"name": "VPN", "summary": "Remote access",
                                                      "steps": ["Grant it"]}, headers=headers)  # fmt: skip
    assert made.status_code == 201 and made.json is not None and made.json["steps"] == ["Grant it"]
    bad = client.patch(f"/api/v1/request-types/{made.json['id']}", json={"steps": "Grant it"}, headers=headers)
    assert bad.status_code == 400 and bad.json is not None and bad.json["field"] == "steps"


def test_the_documented_step_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    [block] = fenced("docs/requests.md", "Fulfilment steps", "sh")
    printed = run_as_printed(block, settings, tmp_path)
    assert [line.strip() for line in printed.splitlines() if "steps:" in line] == [
        "steps: Order the laptop; Image it; Hand it over",
        "steps: Order the laptop; Hand it over",
        "steps: none",
    ]
