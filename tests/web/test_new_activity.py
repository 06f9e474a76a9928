"""What is new to an agent on the incident list: a requester's mail, a colleague's note or reply, an assignment to
them, since they last opened the incident (hub/read_markers.py). On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from hub import incident_notes, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake
from tests.emailed import ANN, EMAIL, mailed_in
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, bearer, statements

ME = "agent@example.com"  # the `user` fixture, logged in
COLLEAGUE = "bob@example.com"
MAIL = Mail("helpdesk@localhost", "http://x")


def new_ones(client: FlaskClient, query: str = "") -> list[str]:
    """The refs the list marks new."""
    page = client.get(f"/incidents{query}").get_data(as_text=True)
    return re.findall(r'href="/incidents/(INC-\d+)">[^<]*</a> <span class="badge news-badge"', page)


def requester_writes(intake: Intake, incident_id: int, *, automatic: bool = False) -> None:
    event = InboundEvent(source="email", title=f"Re: [INC-{incident_id}] printer", requester=ANN,
                         description="Still broken", message_id=f"<r{incident_id}-{automatic}@example.org>",
                         thread_ref=incident_id, auto_submitted=automatic)  # fmt: skip
    assert intake.record(EMAIL, event).incident_id == incident_id


@pytest.fixture
def seen(logged_in: FlaskClient, intake: Intake) -> int:
    """A requester's incident the agent has opened once."""
    incident = mailed_in(intake, "Printer jammed")
    assert logged_in.get(f"/incidents/INC-{incident}").status_code == 200
    assert new_ones(logged_in) == []
    return incident


def test_a_requester_reply_is_new_until_the_agent_opens_the_incident_again(
    logged_in: FlaskClient, intake: Intake, seen: int
) -> None:
    requester_writes(intake, seen)
    page = logged_in.get("/incidents").get_data(as_text=True)
    assert new_ones(logged_in) == [f"INC-{seen}"]
    assert '<span class="visually-hidden"> activity since you last opened it</span>' in page  # said, not only shown
    logged_in.get(f"/incidents/INC-{seen}")
    assert new_ones(logged_in) == []


def test_an_incident_never_opened_is_new_once_a_person_wrote_on_it(
    logged_in: FlaskClient, intake: Intake, seen: int
) -> None:
    incident = mailed_in(intake, "Mouse broken")
    assert new_ones(logged_in) == []  # its opening mail is the incident itself, not activity on it
    requester_writes(intake, incident)
    assert new_ones(logged_in) == [f"INC-{incident}"]


def test_nothing_is_new_to_someone_who_never_opened_an_incident_however_old_the_activity(
    logged_in: FlaskClient, intake: Intake, db: Database
) -> None:
    """As just after the upgrade that brought markers: years of notes and replies are not news to anyone."""
    open_one = mailed_in(intake, "Printer jammed", requester="cy@example.org")
    closed_one = mailed_in(intake, "Mouse broken")
    incident_notes.add_note(db, open_one, "Ordered toner", Actor(COLLEAGUE))
    requester_writes(intake, closed_one)
    triage.change_status(db, closed_one, "resolve", Actor(COLLEAGUE), MAIL)
    triage.change_status(db, closed_one, "close", Actor(COLLEAGUE), MAIL)
    assert new_ones(logged_in) == [] and new_ones(logged_in, "?new=1") == []


def test_a_never_opened_incident_counts_only_what_came_after_the_persons_first_look_at_any(
    logged_in: FlaskClient, intake: Intake, db: Database
) -> None:
    backlog = mailed_in(intake, "Mouse broken", requester="cy@example.org")
    incident_notes.add_note(db, backlog, "Waiting for stock", Actor(COLLEAGUE))  # before any look: not news
    first = mailed_in(intake, "Printer jammed")
    logged_in.get(f"/incidents/INC-{first}")
    assert new_ones(logged_in) == []
    incident_notes.add_note(db, backlog, "Stock arrived", Actor(COLLEAGUE))
    assert new_ones(logged_in) == [f"INC-{backlog}"]


def test_an_out_of_office_and_an_alert_repeat_are_not_new(
    logged_in: FlaskClient, intake: Intake, seen: int, raise_incident: Callable[..., str]
) -> None:
    alert = raise_incident("Disk full", dedup_key="disk")
    logged_in.get(f"/incidents/{alert}")
    requester_writes(intake, seen, automatic=True)
    raise_incident("Disk full", dedup_key="disk")
    assert new_ones(logged_in) == []


def test_a_colleagues_note_is_new_and_my_own_is_not(logged_in: FlaskClient, db: Database, seen: int) -> None:
    incident_notes.add_note(db, seen, "Checked the tray", Actor(ME))
    assert new_ones(logged_in) == []
    incident_notes.add_note(db, seen, "Ordered toner", Actor(COLLEAGUE))
    assert new_ones(logged_in) == [f"INC-{seen}"]


def test_an_assignment_to_me_by_a_colleague_is_new_and_one_to_someone_else_is_not(
    logged_in: FlaskClient, db: Database, seen: int, make_user: Callable[..., Login]
) -> None:
    make_user(email=COLLEAGUE)
    triage.assign(db, seen, COLLEAGUE, Actor(ME), MAIL)
    assert new_ones(logged_in) == []
    triage.assign(db, seen, ME, Actor(COLLEAGUE), MAIL)
    assert new_ones(logged_in) == [f"INC-{seen}"]


def test_the_filter_lists_only_incidents_with_new_activity_and_the_search_form_keeps_it(
    logged_in: FlaskClient, intake: Intake, seen: int
) -> None:
    quiet = mailed_in(intake, "Mouse", requester="cy@example.org")
    logged_in.get(f"/incidents/INC-{quiet}")
    requester_writes(intake, seen)
    page = logged_in.get("/incidents?new=1").get_data(as_text=True)
    assert re.findall(r'<a class="ref" href="/incidents/(INC-\d+)">', page) == [f"INC-{seen}"]
    assert '<input type="hidden" name="new" value="1">' in page
    assert 'aria-current="true">With new activity</a>' in page
    logged_in.get(f"/incidents/INC-{seen}")
    assert "No incidents with new activity." in logged_in.get("/incidents?new=1").get_data(as_text=True)


def test_an_api_token_is_told_new_activity_is_a_persons(client: FlaskClient, api_token: str) -> None:
    answer = client.get("/api/v1/incidents?new=1", headers=bearer(api_token))
    assert answer.status_code == 400 and "a desk's API token belongs to no one" in answer.get_data(as_text=True)


def test_the_list_marks_a_page_in_the_same_queries_with_one_new_incident_or_many(
    logged_in: FlaskClient, intake: Intake, db: Database, seen: int
) -> None:
    def queries() -> int:
        with statements(db) as sent:
            assert logged_in.get("/incidents").status_code == 200
        return len(sent)

    requester_writes(intake, seen)
    one = queries()
    for n in range(5):
        incident = mailed_in(intake, f"Laptop {n}")
        incident_notes.add_note(db, incident, "On it", Actor(COLLEAGUE))
    assert len(new_ones(logged_in)) == 6
    assert queries() == one
