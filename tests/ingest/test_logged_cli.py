"""`switchboard incident create`: an incident logged by hand from a terminal, as the new-incident page logs one."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.db import Database
from hub.models import Event
from tests.hub.commands import refused, run
from tests.hub.majors import mailed, staff
from tests.hub.test_incident_cli import incident

ANN = ("--as", "ann@example.com")


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def test_create_logs_the_incident_and_mails_the_requester_its_reference(runner: CliRunner, db: Database) -> None:
    said = run(runner, "incident", "create", "--title", "Cannot print on floor 3", "--requester", "Sam@Example.com",
               "--channel", "walk-in", *ANN)  # fmt: skip
    assert said == "INC-1 logged; sam@example.com is mailed its reference\n"
    logged = incident(db, 1)
    assert (logged.title, logged.requester, logged.status) == ("Cannot print on floor 3", "sam@example.com", "open")
    assert mailed(db, 1, "acknowledgement") == ["sam@example.com"]


def test_create_is_stored_as_received_with_who_logged_it(runner: CliRunner, db: Database) -> None:
    run(runner, "incident", "create", "--title", "VPN drops", "--description", "since Monday", *ANN)
    with db.read() as session:
        [event] = session.query(Event).all()
    assert event.source == "desk" and b'"title": "VPN drops"' in event.raw and event.incident_id == 1
    assert incident(db, 1).description == "since Monday"


def test_what_the_agent_chooses_wins_over_the_rules(runner: CliRunner, db: Database) -> None:
    run(runner, "incident", "create", "--title", "Payroll export fails", "--priority", "1", "--category", "payroll",
        "--assignee", "bob@example.com", *ANN)  # fmt: skip
    logged = incident(db, 1)
    assert (logged.priority, logged.category, logged.assignee) == (1, "payroll", "bob@example.com")
    assert mailed(db, 1, "assigned") == ["bob@example.com"]


def test_no_acknowledge_mails_the_requester_nothing(runner: CliRunner, db: Database) -> None:
    said = run(runner, "incident", "create", "--title", "Mouse broken", "--requester", "sam@example.com",
               "--no-acknowledge", *ANN)  # fmt: skip
    assert said == "INC-1 logged\n" and mailed(db, 1, "acknowledgement") == []


def test_a_requester_that_is_no_address_is_refused_saying_so(runner: CliRunner, db: Database) -> None:
    said = refused(runner, "incident", "create", "--title", "x", "--requester", "sam", *ANN)
    assert "'requester' must be the reporter's email address, not 'sam'" in said
    with db.read() as session:
        assert session.query(Event).count() == 0


def test_an_assignee_who_is_no_user_is_refused(runner: CliRunner) -> None:
    said = refused(runner, "incident", "create", "--title", "x", "--assignee", "nobody@example.com", *ANN)
    assert "nobody@example.com" in said


@pytest.mark.parametrize("actor", ["vic@example.com", "zed@example.com"])
def test_only_an_agent_or_admin_may_log_one(runner: CliRunner, db: Database, actor: str) -> None:
    said = refused(runner, "incident", "create", "--title", "x", "--as", actor)
    assert f"--as {actor}" in said
    with db.read() as session:
        assert session.query(Event).count() == 0


def test_create_has_help_with_an_example(runner: CliRunner) -> None:
    assert "switchboard incident create --title" in run(runner, "incident", "create", "--help")
