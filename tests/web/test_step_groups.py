"""A request type's step another group does (hub/request_steps.py, hub/step_turns.py): named by a trailing
`@group` on the form and the command line or as {"text", "group"} in the API, the group checked as the type is
saved; the group's active members are mailed when the checklist comes to it, as the request opens or as the step
before is ticked done, unless they turned that mail off."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, groups, mail_choices, request_steps, request_types
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.errors import BadField
from hub.intake import Intake, Raw
from hub.mail_choices import MailChoices
from hub.models import OutboxMessage, TimelineEntry
from hub.request_steps import Planned
from tests.docs import fenced, run_as_printed
from tests.hub.commands import refused, run
from tests.staff import agents
from tests.web.helpers import Login, bearer, log_in, token_headers

RAW = Raw(source="generic", content_type="application/json", body=b"{}")
PAT, DEE, DAN = "pat@example.com", "dee@example.com", "dan@example.com"


def starter(db: Database, *steps: str) -> None:
    """Groups procurement (Pat) and desktop (Dee, Dan), and a "New starter" type with these steps, as typed."""
    agents(db, PAT, DEE, DAN)
    with db.transaction() as session:
        groups.save_group(session, "procurement", [PAT])
        groups.save_group(session, "desktop", [DEE, DAN])
        planned = request_steps.parse_lines("\n".join(steps))
        request_types.add(session, name="New starter", summary="A new colleague", steps=planned)


def opened(intake: Intake) -> int:
    outcome = intake.record(RAW, InboundEvent(source="generic", title="Dana starts", request_type="New starter"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def step_mail(db: Database, incident_id: int) -> list[tuple[str, str]]:
    with db.read() as session:
        query = select(OutboxMessage.recipient, OutboxMessage.subject).where(
            OutboxMessage.incident_id == incident_id, OutboxMessage.kind == "step"
        )
        return [tuple(row) for row in session.execute(query.order_by(OutboxMessage.id))]  # type: ignore[misc]


def notes(db: Database, incident_id: int) -> list[str]:
    with db.read() as session:
        query = select(TimelineEntry.summary).where(
            TimelineEntry.incident_id == incident_id, TimelineEntry.kind == "notification"
        )
        return list(session.scalars(query))


def tick(db: Database, settings: Settings, incident_id: int, step: int, who: str = "ann@example.com") -> None:
    request_steps.tick(db, incident_id, step, Actor(who), Mail.of(settings))


def test_a_trailing_at_names_the_steps_group_and_a_group_there_is_not_is_refused_naming_the_step(
    db: Database,
) -> None:
    assert request_steps.parse_lines("Order it @procurement\nMail user@example.com\nImage it @desktop team") == (
        Planned("Order it", "procurement"),
        Planned("Mail user@example.com"),
        Planned("Image it", "desktop team"),
    )
    starter(db, "Order it @procurement")
    with db.transaction() as session, pytest.raises(BadField) as refusal:
        request_types.change(session, "New starter", steps=request_steps.parse_lines("Order it\nImage it @desktp"))
    assert refusal.value.field == "steps"
    assert "step 2 names no group there is: 'desktp'; `switchboard group list` shows them" in str(refusal.value)


def test_the_command_line_reads_a_steps_group_from_its_line(runner: CliRunner) -> None:
    said = refused(runner, "request-type", "add", "Laptop", "--summary", "A laptop", "--step", "Order it @nobody")
    assert "step 1 names no group there is: 'nobody'" in said


def test_a_step_ending_in_a_lone_at_is_refused_saying_to_write_the_group_after_it() -> None:
    with pytest.raises(BadField) as refusal:
        request_steps.parse_lines("Order it @")
    assert "write the group right after the @: 'Order it @procurement'" in str(refusal.value)


def test_the_command_line_refuses_a_space_between_the_at_and_the_group(runner: CliRunner) -> None:
    said = refused(runner, "request-type", "add", "Laptop", "--summary", "A laptop", "--step", "Order @ hardware")
    assert "write the group right after the @: 'Order @hardware'" in said


def test_the_api_refuses_a_step_whose_group_is_spaced_from_its_at(client: FlaskClient, db: Database) -> None:
    headers = token_headers(db, name="admin", role="admin")
    made = client.post("/api/v1/request-types", json={"name": "Laptop", "summary": "A laptop",
                                                      "steps": ["Order @ hardware"]}, headers=headers)  # fmt: skip
    assert made.status_code == 400 and made.json is not None and made.json["field"] == "steps"


def test_the_api_takes_steps_as_strings_or_objects_and_answers_an_object_only_for_a_step_with_a_group(
    client: FlaskClient, db: Database
) -> None:
    starter(db)
    headers = token_headers(db, name="admin", role="admin")
    steps = ["Order it", {"text": "Image it", "group": "desktop"}, {"text": "Hand it over", "group": None}]
    made = client.post("/api/v1/request-types", json={"name": "Laptop", "summary": "A laptop", "steps": steps},
                       headers=headers)  # fmt: skip
    assert made.status_code == 201 and made.json is not None
    assert made.json["steps"] == ["Order it", {"text": "Image it", "group": "desktop"}, "Hand it over"]


def test_opening_a_request_whose_first_step_is_a_groups_mails_each_of_its_active_members(
    db: Database, intake: Intake
) -> None:
    starter(db, "Image it @desktop", "Hand it over")
    incident_id = opened(intake)
    subject = f"[INC-{incident_id}] Step 1 is your group's: Image it"
    assert step_mail(db, incident_id) == [(DEE, subject), (DAN, subject)]


def test_ticking_the_step_before_a_groups_step_mails_that_group_but_not_whoever_ticked_it(
    db: Database, settings: Settings, intake: Intake
) -> None:
    starter(db, "Order it @procurement", "Image it @desktop")
    incident_id = opened(intake)
    tick(db, settings, incident_id, 1, who=DAN)
    assert step_mail(db, incident_id) == [
        (PAT, f"[INC-{incident_id}] Step 1 is your group's: Order it"),
        (DEE, f"[INC-{incident_id}] Step 2 is your group's: Image it"),
    ]


def test_undoing_a_tick_and_ticking_it_again_tells_the_next_steps_group_once(
    db: Database, settings: Settings, intake: Intake
) -> None:
    starter(db, "Order it", "Image it @desktop")
    incident_id = opened(intake)
    tick(db, settings, incident_id, 1)
    request_steps.tick(db, incident_id, 1, Actor("ann@example.com"), Mail.of(settings), done=False)
    tick(db, settings, incident_id, 1)
    assert [recipient for recipient, _ in step_mail(db, incident_id)] == [DEE, DAN]


def test_a_member_who_turned_step_mail_off_gets_none_and_the_timeline_says_so(db: Database, intake: Intake) -> None:
    starter(db, "Image it @desktop")
    with db.transaction() as session:
        mail_choices.choose(session, DEE, MailChoices(steps=False))
    incident_id = opened(intake)
    assert [recipient for recipient, _ in step_mail(db, incident_id)] == [DAN]
    assert f"step to {DEE} not mailed: turned off by them" in notes(db, incident_id)


def test_a_step_without_a_group_and_a_tick_out_of_turn_mail_no_one(
    db: Database, settings: Settings, intake: Intake
) -> None:
    starter(db, "Order it", "Image it", "Hand it over @desktop")
    incident_id = opened(intake)
    tick(db, settings, incident_id, 2)  # step 1 is not done: the turn stays there
    tick(db, settings, incident_id, 1)  # step 2 is done already, so the turn moves on to step 3, desktop's
    assert [subject for _, subject in step_mail(db, incident_id)] == [
        f"[INC-{incident_id}] Step 3 is your group's: Hand it over"
    ] * 2


def test_a_group_with_no_active_members_mails_no_one_and_the_timeline_says_so(db: Database, intake: Intake) -> None:
    starter(db, "Order it @procurement")
    with db.transaction() as session:
        groups.remove_member(session, "procurement", PAT)
    incident_id = opened(intake)
    assert step_mail(db, incident_id) == []
    assert "Step 1 is procurement's: no one told, the group has no active members" in notes(db, incident_id)


def test_a_group_with_no_active_members_is_said_once_however_often_its_turn_comes_back(
    db: Database, settings: Settings, intake: Intake
) -> None:
    starter(db, "Order it", "Image it @procurement")
    with db.transaction() as session:
        groups.remove_member(session, "procurement", PAT)
    incident_id = opened(intake)
    for done in (True, False, True):
        request_steps.tick(db, incident_id, 1, Actor("ann@example.com"), Mail.of(settings), done=done)
    assert notes(db, incident_id).count("Step 2 is procurement's: no one told, the group has no active members") == 1


def test_the_incident_page_shows_each_steps_group(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, intake: Intake
) -> None:
    starter(db, "Order it @procurement", "Hand it over")
    incident_id = opened(intake)
    log_in(client, make_user(email="ann@example.com", role="agent"))
    page = client.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    assert page.count('class="badge step-group"') == 1 and ">procurement</span>" in page


def test_incident_show_names_the_request_type_and_each_steps_group(
    runner: CliRunner, db: Database, intake: Intake
) -> None:
    starter(db, "Order it @procurement", "Hand it over")
    shown = run(runner, "incident", "show", f"INC-{opened(intake)}").splitlines()
    assert "request type: New starter" in shown
    assert "step 1: Order it @procurement (not done)" in shown
    assert "step 2: Hand it over (not done)" in shown


def test_the_documented_step_group_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    agents(db, "pat@example.com", "dee@example.com", "dan@example.com")
    [block, _] = fenced("docs/requests.md", "Steps for other groups", "sh")
    printed = run_as_printed(block, settings, tmp_path)
    assert "steps: Order the laptop @procurement; Image it @desktop; Hand it over" in printed, printed


def test_the_documented_api_call_gives_steps_their_groups(client: FlaskClient, db: Database) -> None:
    agents(db, "pat@example.com", "dee@example.com")
    with db.transaction() as session:
        groups.save_group(session, "procurement", ["pat@example.com"])
        groups.save_group(session, "desktop", ["dee@example.com"])
        request_types.add(session, name="New starter", summary="A laptop and accounts")
        headers = bearer(accounts.create_token(session, name="admin", role="admin"))
    [_, block] = fenced("docs/requests.md", "Steps for other groups", "sh")
    [body] = re.findall(r"-d '([^']+)'", block)
    changed = client.patch("/api/v1/request-types/1", json=json.loads(body), headers=headers)
    assert changed.status_code == 200 and changed.json is not None, changed.json
    assert changed.json["steps"] == [{"text": "Order the laptop", "group": "procurement"},
                                     {"text": "Image it", "group": "desktop"}, "Hand it over"]  # fmt: skip
