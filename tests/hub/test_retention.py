"""Event retention: old alert repeats and other events that changed nothing are deleted; everything else stays."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from hub import accounts, pending_requests, retention, security_keys, two_factor
from hub.config import Settings
from hub.db import Database
from hub.domain import Action, InboundEvent
from hub.intake import Intake, Raw
from hub.models import Event, PendingRequest, TimelineEntry, User, WebAuthnChallenge, utcnow
from hub.recipients import Sender
from ingest.pipeline import make_intake
from tests.conftest import KEYS

RAW = Raw(source="generic", content_type="application/json", body=b"{}")
MAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nhi\r\n")
NINETY_DAYS = timedelta(days=90)


@pytest.fixture
def store(database: Database, settings: Settings, database_url: str) -> Intake:
    return make_intake(replace(settings, database_url=database_url), database)


def alert(intake: Intake, key: str = "disk-db1", action: Action = Action.TRIGGER) -> int:
    return intake.record(RAW, InboundEvent(source="generic", title="Disk full", dedup_key=key, action=action)).event_id


def age_everything(db: Database, days: int = 100) -> None:
    with db.transaction() as session:
        session.execute(update(Event).values(received_at=utcnow() - timedelta(days=days)))


def statuses(db: Database) -> dict[int, str]:
    with db.read() as session:
        return dict(session.execute(select(Event.id, Event.status).order_by(Event.id)).all())


def test_old_events_that_changed_nothing_are_deleted_and_the_rest_kept(store: Intake, database: Database) -> None:
    opened = alert(store)
    repeat = alert(store)
    unknown = alert(store, "never-seen", Action.RESOLVE)  # ignored: no incident to resolve
    mail = store.record(MAIL, InboundEvent(source="email", title="Printer", requester="ann@example.com")).event_id
    kept_for_review = store.record_unprocessable(RAW, "InvalidPayload: title is missing")
    age_everything(database)
    recent_repeat = alert(store)

    assert retention.count_prunable(database, NINETY_DAYS) == 2
    assert retention.prune_events(database, NINETY_DAYS) == 2

    left = statuses(database)
    assert repeat not in left and unknown not in left
    with database.read() as session:  # counted still: events received never goes down
        assert retention.pruned_counts(session) == {("generic", "deduplicated"): 1, ("generic", "ignored"): 1}
    assert {opened, mail, kept_for_review, recent_repeat} == set(left)
    with database.read() as session:  # the timeline still names the event that opened the incident
        assert opened in session.scalars(select(TimelineEntry.event_id))


def test_a_call_logged_at_the_desk_is_kept_even_when_it_was_counted_as_a_repeat(
    store: Intake, database: Database
) -> None:
    desk = Raw(source="desk", content_type="application/json", body=b'{"title": "VPN down"}')
    call = InboundEvent(source="desk", title="VPN down", dedup_key="vpn")  # a rule may give calls a dedup key
    first, second = (store.record(desk, call).event_id for _ in range(2))
    age_everything(database)
    assert statuses(database) == {first: "processed", second: "deduplicated"}
    assert retention.prune_events(database, NINETY_DAYS) == 0 and set(statuses(database)) == {first, second}


def test_deletes_go_in_batches_and_report_progress(store: Intake, database: Database) -> None:
    alert(store)
    for _ in range(25):
        alert(store)
    age_everything(database)
    seen: list[int] = []
    assert retention.prune_events(database, NINETY_DAYS, batch=10, progress=seen.append) == 25
    assert seen == [10, 20, 25]
    with database.read() as session:  # three batches, added up
        assert retention.pruned_counts(session) == {("generic", "deduplicated"): 25}
    assert list(statuses(database).values()) == ["processed"]


def test_nothing_old_enough_deletes_nothing(store: Intake, database: Database) -> None:
    alert(store)
    alert(store)
    assert retention.prune_events(database, NINETY_DAYS) == 0 and len(statuses(database)) == 2


def test_the_dispatcher_chore_prunes_once_per_period_and_never_with_retention_zero(
    store: Intake, database: Database, settings: Settings
) -> None:
    alert(store)
    alert(store)
    age_everything(database)
    assert retention.chore(replace(settings, event_retention=0), database)() == 0
    chore = retention.chore(replace(settings, event_retention=NINETY_DAYS.total_seconds()), database)
    assert chore() == 1
    alert(store)
    age_everything(database)
    assert chore() == 0  # an hour has not passed: not even looked at
    assert len(statuses(database)) == 2


def test_the_chore_forgets_week_old_requests_from_the_help_centre_whatever_the_event_retention(
    database: Database, settings: Settings
) -> None:
    question = pending_requests.Question("ann@example.org", "Printer jams", "Since this morning.")
    sender = Sender("helpdesk@example.com", "https://desk.example", secret_key="test-secret-key")
    with database.transaction() as session:
        pending_requests.ask(session, question, sender, utcnow() - pending_requests.FORGET_AFTER - timedelta(hours=1))
        pending_requests.ask(session, replace(question, email="bob@example.org"), sender, utcnow())
    chore = retention.chore(replace(settings, event_retention=0), database)
    assert chore() == 1
    with database.read() as session:
        assert list(session.scalars(select(PendingRequest.email))) == ["bob@example.org"]


def test_the_chore_clears_two_factor_setups_left_unconfirmed_and_counts_them(
    database: Database, settings: Settings
) -> None:
    with database.transaction() as session:
        ann = accounts.create_user(session, email="ann@example.org", password="correct horse", role="agent").id
        two_factor.start_setup(session, ann, time.time() - 16 * 60, keys=KEYS)
    assert retention.chore(replace(settings, event_retention=0), database)() == 1
    with database.read() as session:
        assert session.scalar(select(User.totp_pending).where(User.id == ann)) is None


def test_the_chore_deletes_security_key_challenges_never_answered_and_counts_them(
    database: Database, settings: Settings
) -> None:
    with database.transaction() as session:
        ann = accounts.create_user(session, email="ann@example.org", password="correct horse", role="agent").id
        bob = accounts.create_user(session, email="bob@example.org", password="correct horse", role="agent").id
        security_keys.new_challenge(session, ann, "login", time.time() - 4 * 60)  # and Ann never came back
        waiting = security_keys.new_challenge(session, bob, "register", time.time())
    assert retention.chore(replace(settings, event_retention=0), database)() == 1
    with database.read() as session:
        assert list(session.scalars(select(WebAuthnChallenge.ref))) == [waiting.ref]


def test_a_backlog_is_pruned_a_slice_per_upkeep(store: Intake, database: Database, settings: Settings) -> None:
    for _ in range(26):
        alert(store)
    age_everything(database)
    chore = retention.chore(replace(settings, event_retention=NINETY_DAYS.total_seconds()), database, most=10)
    assert [chore(), chore(), chore(), chore()] == [10, 10, 5, 0]  # the last slice was short: done for an hour


def test_the_command_counts_then_deletes(runner: CliRunner, settings: Settings) -> None:
    from hub.cli import main

    db = Database.connect(f"sqlite:///{settings.home.parent / 'var' / 'switchboard.db'}")
    intake = make_intake(settings, db)
    alert(intake)
    alert(intake)
    age_everything(db, days=40)
    db.dispose()

    dry = runner.invoke(main, ["events", "prune", "--older-than", "30d", "--dry-run"])
    assert dry.exit_code == 0 and "1 event(s) older than 30 d would be deleted" in dry.output
    assert "deleted 0 event(s)" in runner.invoke(main, ["events", "prune"]).output  # 90 days by default
    done = runner.invoke(main, ["events", "prune", "--older-than", "30d"])
    assert done.exit_code == 0 and "deleted 1 event(s)" in done.output
    bad = runner.invoke(main, ["events", "prune", "--older-than", "soon"])
    assert bad.exit_code == 2 and "not a duration" in bad.output
