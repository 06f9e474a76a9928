"""How far requests' fulfilment steps have come, where incidents and request types are listed: "2/3 steps" on the
incident list, read for its whole page in one grouped query; `steps_done` and `steps_total` in the list's JSON (API
and command line), null without steps; and each request type's number of steps on the request catalogue."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner
from flask.testing import FlaskClient

from hub import request_steps
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake
from tests.hub.commands import run
from tests.web.helpers import Login, log_in, statements, token_headers
from tests.web.test_request_steps import RAW, laptop, opened


def tick_first(db: Database, incident_id: int) -> None:
    request_steps.tick(db, incident_id, 1, Actor("ann@example.com"), Mail("desk@example.com", "http://localhost"))


def plain_incident(intake: Intake) -> int:
    outcome = intake.record(RAW, InboundEvent(source="generic", title="Disk full", dedup_key="disk"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_the_list_says_how_many_of_a_requests_steps_are_done_and_nothing_for_an_incident_without(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, intake: Intake
) -> None:
    laptop(db)
    tick_first(db, opened(intake))
    plain_incident(intake)
    log_in(client, make_user(email="vic@example.com", role="viewer"))
    page = client.get("/incidents").get_data(as_text=True)
    assert page.count('class="muted steps-progress"') == 1
    assert '<span aria-hidden="true">1/3 steps</span><span class="visually-hidden">1 of 3 steps done</span>' in page


def test_the_list_reads_its_requests_steps_in_the_same_queries_for_one_request_or_many(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, intake: Intake
) -> None:
    def queries() -> int:
        with statements(db) as sent:
            assert client.get("/incidents").status_code == 200
        return len(sent)

    laptop(db)
    opened(intake)
    log_in(client, make_user(email="vic@example.com", role="viewer"))
    one = queries()
    for n in range(4):
        opened(intake, f"A laptop for starter {n}")
    assert queries() == one
    assert client.get("/incidents").get_data(as_text=True).count("0/3 steps") == 5


def test_the_api_list_carries_steps_done_and_total_and_null_for_an_incident_without_steps(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    laptop(db)
    request = opened(intake)
    tick_first(db, request)
    incident = plain_incident(intake)
    headers = token_headers(db, name="look", role="viewer")
    listed = client.get("/api/v1/incidents", headers=headers).json
    assert listed is not None
    assert {row["ref"]: (row["steps_done"], row["steps_total"]) for row in listed} == {
        f"INC-{request}": (1, 3),
        f"INC-{incident}": (None, None),
    }


def test_incident_list_json_carries_the_steps_progress_as_the_api_does(
    runner: CliRunner, db: Database, intake: Intake
) -> None:
    laptop(db)
    tick_first(db, opened(intake))
    [row] = json.loads(run(runner, "incident", "list", "--json"))
    assert (row["steps_done"], row["steps_total"]) == (1, 3)


def test_incident_list_prints_a_requests_steps_done_beside_its_mark(
    runner: CliRunner, db: Database, intake: Intake
) -> None:
    laptop(db)
    request = opened(intake)
    tick_first(db, request)
    plain = plain_incident(intake)
    printed = {line.split()[0]: line for line in run(runner, "incident", "list").splitlines()}
    assert "1/3 steps] A laptop for Dana" in printed[f"INC-{request}"]
    assert "steps" not in printed[f"INC-{plain}"]


def test_the_request_catalogue_counts_each_types_steps(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    laptop(db)
    log_in(client, make_user(email="vic@example.com", role="viewer"))
    page = client.get("/request-types").get_data(as_text=True)
    assert '<th scope="col">Steps</th>' in page and '<td data-label="Steps">3</td>' in page
