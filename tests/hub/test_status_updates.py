"""Status updates by mail: which changes of the status page subscribers are told, and who is told, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub import catalogue, status_subscriptions, status_updates, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.models import Change, OutboxMessage, StatusSnapshot, StatusSubscriber, utcnow
from hub.outbox import body_of, mark_bounced
from hub.recipients import Sender
from hub.status_page import Note, ServiceStatus, Window
from hub.status_updates import Seen
from hub.verifying_keys import VerifyingKeys
from tests.hub.test_status_page import open_incident

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SENDER = Sender("desk@example.com", "https://desk.example.com", secret_key="k" * 32)


def service(state: str = "operational", notes: tuple[Note, ...] = (), windows: tuple[Window, ...] = ()
            ) -> ServiceStatus:  # fmt: skip
    return ServiceStatus("mail", "", state, None, notes, windows)


def told(state: str = "operational", notes: tuple[Note, ...] = (), windows: tuple[Window, ...] = ()) -> Seen:
    return status_updates.seen(service(state, notes, windows))


# -- what is worth a mail (pure) ---------------------------------------------------------------------------------


def test_nothing_new_is_no_update() -> None:
    assert status_updates.what_changed(told(), service()) is None


def test_an_outage_beginning_says_the_new_state_and_what_it_was() -> None:
    update = status_updates.what_changed(told(), service("major_outage"))
    assert update is not None and update.headline == "mail: Major outage" and update.was == "Operational"


def test_an_outage_ending_says_the_service_is_back() -> None:
    update = status_updates.what_changed(told("partial_outage"), service())
    assert update is not None and update.headline == "mail: Operational again"


def test_a_new_note_is_an_update_with_its_text_and_an_old_one_is_not_repeated() -> None:
    first = Note("Mail is slow.", NOW - HOUR, None)
    newer = Note("Queues are draining; back within the hour.", NOW, None)
    update = status_updates.what_changed(told("degraded", (first,)), service("degraded", (newer, first)))
    assert update is not None and update.note == newer.text and update.headline == "mail: update"
    assert status_updates.what_changed(told("degraded", (newer, first)), service("degraded", (newer, first))) is None


def test_a_note_marked_resolved_is_news_even_when_the_state_was_operational_already() -> None:
    note = Note("Mail is slow.", NOW - HOUR, None)
    update = status_updates.what_changed(told("operational", (note,)), service(notes=(Note(note.text, note.at, NOW),)))
    assert update is not None and update.note == "Mail is slow."


def test_a_note_ageing_off_the_page_is_not_news() -> None:
    note = Note("Fixed.", NOW - 2 * HOUR, NOW - HOUR)
    assert status_updates.what_changed(told(notes=(note,)), service()) is None


def test_planned_maintenance_is_announced_once_by_its_window_and_its_start_by_the_state() -> None:
    window = Window("mail", datetime(2026, 12, 1, 22, 0, tzinfo=UTC), datetime(2026, 12, 1, 23, 30, tzinfo=UTC), False)
    update = status_updates.what_changed(told(), service(windows=(window,)))
    assert update is not None and update.planned == ("Tue 2026-12-01 22:00 to 23:30 UTC",)
    assert update.headline == "mail: planned maintenance"
    begun = Window(window.service, window.starts, window.ends, True)
    started = status_updates.what_changed(told(windows=(window,)), service("maintenance", windows=(begun,)))
    assert started is not None and started.headline == "mail: Under maintenance" and started.planned == ()


def test_planned_maintenance_is_told_in_the_zone_given_with_its_abbreviation() -> None:
    window = Window("mail", datetime(2026, 12, 1, 22, 0, tzinfo=UTC), datetime(2026, 12, 1, 23, 30, tzinfo=UTC), False)
    update = status_updates.what_changed(told(), service(windows=(window,)), ZoneInfo("Europe/Berlin"))
    assert update is not None and update.planned == ("Tue 2026-12-01 23:00 to Wed 2026-12-02 00:30 CET",)


def test_a_window_over_the_clocks_going_back_names_the_zone_at_both_ends() -> None:
    window = Window("mail", datetime(2026, 10, 24, 23, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC), False)
    update = status_updates.what_changed(told(), service(windows=(window,)), ZoneInfo("Europe/Berlin"))
    assert update is not None and update.planned == ("Sun 2026-10-25 01:00 CEST to 04:00 CET",)


def test_what_was_told_survives_its_text_form() -> None:
    note = Note("x", NOW, None)
    window = Window("mail", NOW, None, True)
    seen = told("maintenance", (note,), (window,))
    assert Seen.from_text(seen.as_text()) == seen


# -- who is told, from a real database ------------------------------------------------------------------------------


@pytest.fixture
def db(database: Database) -> Database:
    """Every test here on SQLite, and again on PostgreSQL: the compare-and-set and ON CONFLICT are spelt by each."""
    return database


def raise_p1(db: Database, title: str = "mx1 down") -> int:
    return open_incident(db, title, 1)


def subscribe(db: Database, address: str, *, confirm: bool = True) -> None:
    with db.transaction() as session:
        assert status_subscriptions.ask(session, address, SENDER, utcnow())
        if confirm:
            row = session.scalars(select(StatusSubscriber).where(StatusSubscriber.email == address)).one()
            row.confirmed_at = utcnow()


def updates_to(db: Database) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "status_update")))


@pytest.fixture
def mail_public(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)


def test_a_services_first_state_is_noted_without_a_mail(db: Database, mail_public: None) -> None:
    subscribe(db, "ann@example.org")
    raise_p1(db)
    assert status_updates.announce(db, SENDER) == 0 and updates_to(db) == []
    with db.read() as session:
        assert session.scalar(select(StatusSnapshot.service)) == "mail"


def test_a_change_is_mailed_once_to_each_confirmed_subscriber_and_never_to_the_unconfirmed(
    db: Database, mail_public: None
) -> None:
    subscribe(db, "ann@example.org")
    subscribe(db, "bob@example.org")
    subscribe(db, "mallory-typed-me@example.org", confirm=False)
    status_updates.announce(db, SENDER)
    incident_id = raise_p1(db)
    assert status_updates.announce(db, SENDER) == 2
    assert status_updates.announce(db, SENDER) == 0  # told already
    sent = updates_to(db)
    assert sorted(m.recipient for m in sent) == ["ann@example.org", "bob@example.org"]
    assert {m.subject for m in sent} == {"mail: Major outage"}
    assert all(m.incident_id is None for m in sent)  # about the page, not the incident: its title stays inside
    triage.change_status(db, incident_id, "resolve", Actor("agent@example.com"),
                         Mail("desk@example.com", "http://x"))  # fmt: skip
    assert status_updates.announce(db, SENDER) == 2
    assert {m.subject for m in updates_to(db)} == {"mail: Major outage", "mail: Operational again"}


def test_an_address_that_bounced_lately_is_not_sent_updates_while_its_mail_pauses(
    db: Database, mail_public: None
) -> None:
    subscribe(db, "ann@example.org")
    subscribe(db, "gone@example.org")
    with db.transaction() as session:
        mark_bounced(session.connection(), ["gone@example.org"], "550 no such user")
    status_updates.announce(db, SENDER)
    raise_p1(db)
    status_updates.announce(db, SENDER)
    assert [m.recipient for m in updates_to(db)] == ["ann@example.org"]


def test_every_update_says_how_to_stop_in_its_headers_for_a_one_click_button(db: Database, mail_public: None) -> None:
    subscribe(db, "ann@example.org")
    status_updates.announce(db, SENDER)
    raise_p1(db)
    status_updates.announce(db, SENDER)
    [sent] = updates_to(db)
    [leave] = sent.headers["List-Unsubscribe"].strip("<>").split()
    assert leave.startswith("https://desk.example.com/status/unsubscribe/")
    assert sent.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent.headers["Auto-Submitted"] == "auto-generated"
    claim = status_subscriptions.LEAVE.read(VerifyingKeys(SENDER.secret_key or ""), leave.rsplit("/", 1)[1])
    assert claim.person == "ann@example.org"


def test_a_dispatcher_that_was_beaten_to_a_change_tells_no_one(db: Database, mail_public: None) -> None:
    subscribe(db, "ann@example.org")
    status_updates.announce(db, SENDER)
    with db.read() as session:
        before = session.scalar(select(StatusSnapshot.seen))
    raise_p1(db)
    assert status_updates.announce(db, SENDER) == 1
    with db.transaction() as session:  # a second dispatcher still holding the old snapshot loses the compare-and-set
        after = Seen("major_outage", (), ())
        assert not status_updates._first_to_note(session.connection(), "mail", before, after, utcnow())


def test_a_service_made_private_is_forgotten_and_starts_afresh(db: Database, mail_public: None) -> None:
    subscribe(db, "ann@example.org")
    status_updates.announce(db, SENDER)
    with db.transaction() as session:
        catalogue.add_service(session, name="vpn", public=True)
        catalogue.set_service(session, "mail", public=False)
    raise_p1(db)
    status_updates.announce(db, SENDER)
    with db.read() as session:
        assert list(session.scalars(select(StatusSnapshot.service))) == ["vpn"]
    assert updates_to(db) == []


def test_an_unconfirmed_request_is_forgotten_once_its_link_has_expired(db: Database, mail_public: None) -> None:
    subscribe(db, "ann@example.org", confirm=False)
    subscribe(db, "bob@example.org")
    status_updates.announce(db, SENDER, now=utcnow() + status_subscriptions.CONFIRM.lifetime + HOUR)
    with db.read() as session:
        assert list(session.scalars(select(StatusSubscriber.email))) == ["bob@example.org"]


def test_without_a_secret_key_nothing_is_sent(db: Database, mail_public: None) -> None:
    subscribe(db, "ann@example.org")
    status_updates.announce(db, SENDER)
    raise_p1(db)
    assert status_updates.announce(db, Sender("desk@example.com", "http://x")) == 0


# -- asking for updates ----------------------------------------------------------------------------------------------


def confirmations(db: Database) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "status_confirmation")))


def test_asking_owes_one_confirmation_mail_and_asking_again_soon_owes_none(db: Database) -> None:
    with db.transaction() as session:
        assert status_subscriptions.ask(session, "ann@example.org", SENDER, NOW)
        assert not status_subscriptions.ask(session, "ann@example.org", SENDER, NOW + timedelta(minutes=5))
        assert status_subscriptions.ask(session, "ann@example.org", SENDER, NOW + timedelta(minutes=11))
    assert len(confirmations(db)) == 2


def test_an_address_that_bounced_lately_is_sent_no_confirmation(db: Database) -> None:
    with db.transaction() as session:
        mark_bounced(session.connection(), ["ann@example.org"], "550 no such user")
    with db.transaction() as session:
        assert not status_subscriptions.ask(session, "ann@example.org", SENDER, utcnow())
    assert confirmations(db) == []


def test_a_confirmed_subscriber_asking_again_is_sent_nothing(db: Database) -> None:
    subscribe(db, "ann@example.org")
    with db.transaction() as session:
        assert not status_subscriptions.ask(session, "ann@example.org", SENDER, utcnow() + HOUR)
    assert len(confirmations(db)) == 1


# -- choosing services ---------------------------------------------------------------------------------------------


@pytest.fixture
def two_public(db: Database, mail_public: None) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="vpn", public=True)
        catalogue.add_service(session, name="payroll")  # not on the page


@pytest.mark.parametrize(
    ("ticked", "kept"),
    [(None, None), (["mail", "vpn"], None), (["vpn"], ["vpn"]), (["vpn", "payroll"], ["vpn"])],
)
def test_a_choice_of_every_public_service_is_kept_as_all_and_others_are_left_out(
    db: Database, two_public: None, ticked: list[str] | None, kept: list[str] | None
) -> None:
    with db.read() as session:
        assert status_subscriptions.chosen(session, ticked) == kept


@pytest.mark.parametrize("ticked", [[], ["payroll"]])
def test_a_choice_of_no_public_service_is_refused(db: Database, two_public: None, ticked: list[str]) -> None:
    with pytest.raises(status_subscriptions.BadChoice), db.read() as session:
        status_subscriptions.chosen(session, ticked)


def test_a_subscriber_hears_only_of_the_services_they_chose(db: Database, two_public: None) -> None:
    subscribe(db, "ann@example.org")
    subscribe(db, "vpn-only@example.org")
    with db.transaction() as session:
        row = session.scalars(select(StatusSubscriber).where(StatusSubscriber.email == "vpn-only@example.org")).one()
        row.services = ["vpn"]
    status_updates.announce(db, SENDER)
    raise_p1(db)  # on mail
    assert status_updates.announce(db, SENDER) == 1
    assert [m.recipient for m in updates_to(db)] == ["ann@example.org"]


def test_subscribers_are_told_of_planned_maintenance_in_the_installations_zone(db: Database, mail_public: None) -> None:
    kolkata = replace(SENDER, timezone="Asia/Kolkata")  # IST, UTC+05:30 all year
    subscribe(db, "ann@example.org")
    status_updates.announce(db, kolkata)
    starts = (utcnow() + timedelta(days=2)).replace(hour=20, minute=0, second=0, microsecond=0)
    with db.transaction() as session:
        session.add(Change(title="Swap disks", service="mail", type="normal", state="scheduled", planned_start=starts,
                           planned_end=starts + HOUR, requested_by="cab@example.com"))  # fmt: skip
    assert status_updates.announce(db, kolkata) == 1
    [sent] = updates_to(db)
    local = starts + timedelta(hours=5, minutes=30)
    assert f"{local:%a %Y-%m-%d %H:%M} to {local + HOUR:%H:%M} IST" in body_of(sent)[0]
