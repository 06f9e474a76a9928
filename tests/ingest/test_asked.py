"""Sending a request asked on the help centre: once, however often and however concurrently its button is pressed,
and never lost to a crash between pressing it and the intake's commit (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from hub import pending_requests
from hub.catalogue import add_service
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.intake_notices import NoticeSettings
from hub.models import Event, Incident, OutboxMessage, PendingRequest, utcnow
from hub.pending_requests import Pending, Question
from hub.recipients import Sender
from hub.signed_links import Claim
from ingest import asked
from ingest.logged import InvalidField
from ingest.pipeline import make_intake

SENDER = Sender("helpdesk@example.com", "https://desk.example", secret_key="test-secret-key")
PRINTER = Question("ann@example.org", "Printer on floor 3 jams", "Since this morning.", "mail")


@pytest.fixture
def store(database: Database, settings: Settings, database_url: str) -> Intake:
    return make_intake(replace(settings, database_url=database_url), database)


def asked_for(db: Database, question: Question = PRINTER) -> Claim:
    """Ask on the form; the claim its confirmation link carries."""
    with db.transaction() as session:
        assert pending_requests.ask(session, question, SENDER, utcnow())
    with db.read() as session:
        newest = session.scalar(select(func.max(PendingRequest.id)))
    return Claim(int(newest), question.email)


def counted(db: Database) -> tuple[int, int]:
    """(incidents, events) stored."""
    with db.read() as session:
        return (session.scalar(select(func.count()).select_from(Incident)) or 0,
                session.scalar(select(func.count()).select_from(Event)) or 0)  # fmt: skip


def claim_ran_out(db: Database) -> None:
    """Move every claim back past its lease, as if CLAIM_LEASE had passed since the button was pressed."""
    long_ago = utcnow() - pending_requests.CLAIM_LEASE - timedelta(seconds=1)
    with db.transaction() as session:
        session.execute(update(PendingRequest).where(PendingRequest.confirmed_at.is_not(None))
                        .values(confirmed_at=long_ago))  # fmt: skip


def crash_after_claiming(db: Database, claim: Claim) -> Pending:
    """What a process that died right after the button's claim committed leaves behind."""
    with db.transaction() as session:
        found, mine = pending_requests.take(session, claim, utcnow())
    assert mine
    return found


# -- what the form's fields may be -----------------------------------------------------------------------------------


def test_a_good_form_becomes_a_question_with_its_address_lower_cased_and_its_lines_kept() -> None:
    fields = {"email": " Ann@Example.ORG ", "subject": " Printer jams ", "body": "One.\r\nTwo.\r\n", "service": "mail"}
    assert asked.question(fields, ["mail"]) == Question("ann@example.org", "Printer jams", "One.\nTwo.", "mail")
    assert asked.question({**fields, "service": ""}, ["mail"]).service is None


@pytest.mark.parametrize("subject", ["Hi\nBcc: all@example.org", "Hi\rThere", "Tab\there", "Nul\x00"])
def test_a_subject_is_refused_unless_it_is_one_line_without_control_characters(subject: str) -> None:
    with pytest.raises(InvalidField) as refused:
        asked.question({"email": "ann@example.org", "subject": subject, "body": "x"}, [])
    assert refused.value.field == "subject"


def test_the_event_is_the_request_as_the_requester_wrote_it() -> None:
    now = utcnow()
    request = Pending(7, "ann@example.org", "Printer jams", "It jams.", "mail", now, now, None, None)
    raw, event = asked.event_of(request)
    assert (raw.source, event.source, event.requester) == ("web", "web", "ann@example.org")
    assert (event.title, event.description, dict(event.labels)) == ("Printer jams", "It jams.",
                                                                    {"channel": "web", "service": "mail"})  # fmt: skip
    assert event.message_id == request.marker and event.dedup_key is None and not event.auto_submitted
    assert b'"subject": "Printer jams"' in raw.body and b'"request": 7' in raw.body


def test_one_address_asking_from_many_threads_at_once_is_mailed_once(database: Database) -> None:
    start = threading.Barrier(8)
    stored: list[bool] = []

    def ask_now() -> None:
        start.wait()
        with database.transaction() as session:
            stored.append(pending_requests.ask(session, PRINTER, SENDER, utcnow()))

    threads = [threading.Thread(target=ask_now) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(stored) == [False] * 7 + [True]
    with database.read() as session:
        mails = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "ask_confirmation")
        assert session.scalar(mails) == 1


# -- once --------------------------------------------------------------------------------------------------------


def test_pressing_the_button_from_many_threads_at_once_opens_one_incident(database: Database, store: Intake) -> None:
    claim = asked_for(database)
    start = threading.Barrier(6)
    results: list[Pending] = []
    errors: list[BaseException] = []

    def press() -> None:
        try:
            start.wait()
            results.append(asked.confirm(database, store, claim, wait=30))
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=press) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == 6
    assert counted(database) == (1, 1)
    assert {r.incident_id for r in results} == {results[0].incident_id} and all(r.sent for r in results)


def test_a_press_while_another_is_sending_says_it_is_on_its_way_and_sends_nothing(
    database: Database, store: Intake
) -> None:
    claim = asked_for(database)
    crash_after_claiming(database, claim)  # or: still sending, in another process
    found = asked.confirm(database, store, claim, wait=0)
    assert not found.sent and found.sending(utcnow()) and counted(database) == (0, 0)


def test_after_a_crash_between_the_intakes_commit_and_settling_it_is_not_sent_twice(
    database: Database, store: Intake
) -> None:
    claim = asked_for(database)
    found = crash_after_claiming(database, claim)
    opened = store.record(*asked.event_of(found)).incident_id  # committed, then the process died
    claim_ran_out(database)
    again = asked.confirm(database, store, claim)
    assert again.sent and again.incident_id == opened and counted(database) == (1, 1)


def test_after_a_crash_between_claiming_and_the_intake_the_upkeep_sends_it_once_the_claim_runs_out(
    database: Database, store: Intake
) -> None:
    claim = asked_for(database)
    crash_after_claiming(database, claim)
    assert asked.send_unsent(database, store) == 0  # the claim may still be someone's
    claim_ran_out(database)
    assert asked.send_unsent(database, store) == 1
    assert asked.send_unsent(database, store) == 0
    with database.read() as session:
        request = pending_requests.read(session, claim)
    assert request.sent and request.incident_id is not None and counted(database) == (1, 1)


def broken_rules(*_: object) -> None:
    raise RuntimeError("the rules engine failed")


@pytest.fixture
def failing(database: Database, settings: Settings) -> Intake:
    """An intake whose rules engine fails: nothing it is given is committed."""
    return Intake(database, broken_rules, NoticeSettings(settings.desk_addresses, settings.base_url))  # type: ignore[arg-type]


def test_when_the_intake_fails_the_claim_ends_so_pressing_again_sends_it_at_once(
    database: Database, store: Intake, failing: Intake
) -> None:
    claim = asked_for(database)
    with pytest.raises(RuntimeError):
        asked.confirm(database, failing, claim)
    with database.read() as session:
        assert not pending_requests.read(session, claim).sending(utcnow())  # the page offers the button again
    assert asked.confirm(database, store, claim).sent and counted(database) == (1, 1)


def test_when_the_intake_fails_and_no_one_presses_again_the_upkeep_sends_it(
    database: Database, store: Intake, failing: Intake
) -> None:
    claim = asked_for(database)
    with pytest.raises(RuntimeError):
        asked.confirm(database, failing, claim)
    assert asked.send_unsent(database, store) == 1 and counted(database) == (1, 1)


def test_a_request_the_upkeep_cannot_send_is_tried_again_and_holds_up_no_other(
    database: Database, store: Intake, failing: Intake
) -> None:
    for address in ("ann@example.org", "bob@example.org"):
        crash_after_claiming(database, asked_for(database, replace(PRINTER, email=address)))
    claim_ran_out(database)
    assert asked.send_unsent(database, failing) == 0  # logged, not raised: the other chores still run
    assert asked.send_unsent(database, store) == 2 and counted(database) == (2, 2)


def test_a_sent_request_is_not_sent_again_by_the_upkeep(database: Database, store: Intake) -> None:
    claim = asked_for(database)
    asked.confirm(database, store, claim)
    claim_ran_out(database)
    assert asked.send_unsent(database, store) == 0 and counted(database) == (1, 1)


def test_a_link_cannot_send_another_addresss_request_that_took_its_number(database: Database, store: Intake) -> None:
    claim = asked_for(database)
    with pytest.raises(pending_requests.StaleLink):
        asked.confirm(database, store, Claim(claim.incident_id, "mallory@example.org"))
    assert counted(database) == (0, 0)


# -- forgetting ----------------------------------------------------------------------------------------------------


def test_requests_a_week_old_are_forgotten_unless_pressed_and_not_yet_sent(database: Database, store: Intake) -> None:
    never = asked_for(database, replace(PRINTER, email="never@example.org"))
    sent = asked_for(database, replace(PRINTER, email="sent@example.org"))
    asked.confirm(database, store, sent)
    stuck = asked_for(database, replace(PRINTER, email="stuck@example.org"))
    crash_after_claiming(database, stuck)
    fresh = asked_for(database, replace(PRINTER, email="fresh@example.org"))
    with database.transaction() as session:
        week_ago = utcnow() - pending_requests.FORGET_AFTER - timedelta(minutes=1)
        session.execute(update(PendingRequest).where(PendingRequest.id != fresh.incident_id).values(asked_at=week_ago))
    assert pending_requests.forget(database) == 2
    with database.read() as session:
        left = set(session.scalars(select(PendingRequest.email)))
    assert left == {"stuck@example.org", "fresh@example.org"} and never.person not in left
    assert counted(database) == (1, 1)  # what was sent lives on as its incident


def test_a_request_on_a_public_service_reaches_the_group_that_owns_it(database: Database, store: Intake) -> None:
    with database.transaction() as session:
        add_service(session, name="mail", owner_group="messaging", public=True)
    sent = asked.confirm(database, store, asked_for(database))
    with database.read() as session:
        incident = session.get(Incident, sent.incident_id)
        assert incident is not None and (incident.service, incident.assignee) == ("mail", "messaging")


def test_the_event_says_what_the_requester_said_it_is_and_a_rule_may_still_change_it() -> None:
    now = utcnow()
    request = Pending(7, "ann@example.org", "A laptop", "For Sam.", None, now, now, None, None, "request")
    raw, event = asked.event_of(request)
    assert event.kind == "request" and b'"kind": "request"' in raw.body


def test_a_form_that_does_not_say_what_it_is_asks_about_something_broken() -> None:
    fields = {"email": "ann@example.org", "subject": "Printer jams", "body": "It jams."}
    assert asked.question(fields, []).kind == "incident"
