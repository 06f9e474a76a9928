"""Incidents and service requests (hub.domain.INCIDENT_KINDS): what a ticket opens as, an agent's correction on the
timeline, the list's search by kind, and `switchboard incident kind` and `incident list --kind`, run as an admin on
the box would."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import triage
from hub.agent_action import TriageError
from hub.db import Database
from hub.domain import InboundEvent
from hub.incident_search import FilterError, IncidentFilter, search
from hub.intake import Intake, Raw
from hub.models import TimelineEntry
from tests.hub.commands import refused, run
from tests.hub.majors import ANN, opened, staff
from tests.hub.test_incident_cli import incident, timeline

AS_ANN = ("--as", "ann@example.com")
MAIL_RAW = Raw(source="email", content_type="message/rfc822", body=b"Subject: Wiki\r\n\r\naccess please")


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def asked(intake: Intake, title: str = "Access to the wiki, please") -> int:
    """A ticket whose event says someone needs something (as the help centre's form does when asked so)."""
    event = InboundEvent(source="email", title=title, requester="rita@example.org", message_id=f"<{title}@x>",
                         kind="request")  # fmt: skip
    outcome = intake.record(MAIL_RAW, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def opening(db: Database, number: int) -> str:
    with db.read() as session:
        query = select(TimelineEntry.summary).where(TimelineEntry.incident_id == number, TimelineEntry.kind == "opened")
        return session.scalars(query).one()


def test_an_alert_opens_as_an_incident(intake: Intake, db: Database) -> None:
    assert incident(db, opened(intake)).kind == "incident"


def test_an_event_asking_for_something_opens_as_a_request_and_its_opening_says_so(intake: Intake, db: Database) -> None:
    number = asked(intake)
    assert incident(db, number).kind == "request"
    assert "a service request" in opening(db, number)


def test_an_agent_changes_the_kind_on_the_timeline_as_a_category_change(intake: Intake, db: Database) -> None:
    number = opened(intake)
    assert triage.categorise(db, number, ANN, kind="request")
    assert incident(db, number).kind == "request"
    assert timeline(db, number, "categorised") == ["Kind incident → request by ann@example.com"]
    assert not triage.categorise(db, number, ANN, kind="request")


def test_a_kind_there_is_not_is_refused_naming_the_kinds(intake: Intake, db: Database) -> None:
    with pytest.raises(TriageError, match="the kind must be incident or request, not 'problem'"):
        triage.categorise(db, opened(intake), ANN, kind="problem")


def test_the_search_finds_only_the_kind_asked_for(intake: Intake, db: Database) -> None:
    broken, wanted = opened(intake), asked(intake)
    with db.read() as session:
        requests = search(session, IncidentFilter.from_args({"kind": "request"})).incidents
        incidents = search(session, IncidentFilter.from_args({"kind": "incident"})).incidents
    assert ([row.id for row in requests], [row.id for row in incidents]) == ([wanted], [broken])


def test_the_search_keeps_the_kind_in_its_links_and_counts_it_as_narrowing() -> None:
    filt = IncidentFilter.from_args({"kind": "request"})
    assert filt.narrowed and filt.args(page=2) == {"kind": "request", "page": 2}


def test_the_search_refuses_a_kind_there_is_not() -> None:
    with pytest.raises(FilterError, match="'kind' must be incident or request, not 'task'"):
        IncidentFilter.from_args({"kind": "task"})


def test_the_kind_command_sets_it_and_says_so_when_it_already_was(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    said = run(runner, "incident", "kind", f"INC-{number}", "request", *AS_ANN)
    assert said == f"INC-{number} is a service request now\n"
    assert incident(db, number).kind == "request"
    assert run(runner, "incident", "kind", f"INC-{number}", "request", *AS_ANN) == (
        f"INC-{number} was already a service request\n"
    )


def test_the_kind_command_refuses_a_kind_there_is_not(runner: CliRunner, intake: Intake) -> None:
    said = refused(runner, "incident", "kind", f"INC-{opened(intake)}", "task", *AS_ANN, code=2)
    assert "'task' is not one of 'incident', 'request'" in said


def test_list_filters_by_kind_and_marks_requests(runner: CliRunner, intake: Intake) -> None:
    broken, wanted = opened(intake, "Payroll is down"), asked(intake, "A laptop for Sam")
    lines = run(runner, "incident", "list", "--kind", "request").splitlines()
    assert [line.split()[0] for line in lines] == [f"INC-{wanted}"]
    assert lines[0].endswith("[request] A laptop for Sam")
    assert run(runner, "incident", "list", "--kind", "incident").split()[0] == f"INC-{broken}"


def test_show_names_the_kind(runner: CliRunner, intake: Intake) -> None:
    assert "kind: service request" in run(runner, "incident", "show", f"INC-{asked(intake)}").splitlines()
