"""How the desk names people to requesters: replies signed with the agent's display name, never their address, and
acknowledgements greeting a sender by a plain display name; and to colleagues: the addresses in a timeline line cut
out to be shown by name (hub/people.py)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from hub import accounts, incident_notes, notices, people, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import InboundEvent, MailFacts
from hub.errors import BadInput
from hub.intake import Intake, Raw
from hub.models import OutboxMessage
from hub.outbox import body_of
from tests.emailed import mailed_in

MAIL = Mail("desk@example.com", "https://desk.example.com")


def reply_body(db: Database, intake: Intake, agent: str) -> str:
    incident = mailed_in(intake, "Printer jammed")
    incident_notes.reply(db, incident, "Try the other tray.", Actor(agent), MAIL)
    with db.read() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
    return body_of(row)[0]  # as the worker renders it to send


def test_a_reply_is_signed_with_the_agents_display_name_and_not_their_address(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="alice@example.com", password="a long passphrase", role="agent",
                             display_name="  Alice   Smith ")  # fmt: skip
    body = reply_body(db, intake, "alice@example.com")
    assert "Alice Smith for the service desk <desk@example.com>" in body
    assert "alice@example.com" not in body


def test_without_a_display_name_a_reply_is_signed_with_the_addresss_capitalised_local_part(
    db: Database, intake: Intake
) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="bob.jones@example.com", password="a long passphrase", role="agent")
    body = reply_body(db, intake, "bob.jones@example.com")
    assert "Bob.jones for the service desk" in body and "bob.jones@example.com" not in body


@pytest.mark.parametrize("name", ["x" * 101, "Alice <alice@example.com>", "Alice\x1b[31mSmith"])
def test_a_display_name_that_would_leak_an_address_or_break_a_line_is_refused_saying_what_fits(name: str) -> None:
    with pytest.raises(BadInput, match="up to 100 characters on one line, without @ < >"):
        people.check_display_name(name)


def test_a_colleague_is_labelled_by_display_name_with_the_address_beside_else_by_address() -> None:
    names = {"ann@example.com": "Ann Lee"}
    assert people.label("Ann@Example.com", names) == "Ann Lee (Ann@Example.com)"
    assert people.label("bob@example.com", names) == "bob@example.com"


NAMES = {"ann@example.com": "Ann Lee", "bob@example.com": "Bob Stone"}
ANN = people.Named("ann@example.com", "Ann Lee")


@pytest.mark.parametrize(
    ("summary", "parts"),
    [("ann@example.com rated the resolution good", [ANN, " rated the resolution good"]),
     ("Note by ann@example.com, mentioning carol", ["Note by ", ANN, ", mentioning carol"]),
     ("Watched by ann@example.com", ["Watched by ", ANN])],
)  # fmt: skip
def test_a_named_colleagues_address_is_cut_out_at_the_start_middle_or_end_of_a_summary(
    summary: str, parts: list[str | people.Named]
) -> None:
    assert people.with_names(summary, NAMES) == parts


def test_each_named_address_in_a_summary_is_cut_out_and_the_text_between_kept_as_written() -> None:
    assert people.with_names("Assigned to bob@example.com by ann@example.com", NAMES) == [
        "Assigned to ", people.Named("bob@example.com", "Bob Stone"), " by ", ANN]  # fmt: skip


def test_an_address_no_one_named_stays_part_of_the_text() -> None:
    summary = "Reply from carol@example.org: printer jammed, cc ann@example.com.au"
    assert people.with_names(summary, NAMES) == [summary]
    assert people.with_names("No one here", NAMES) == ["No one here"]
    assert people.with_names("", NAMES) == []


def test_an_address_is_named_whatever_its_case_and_shown_as_written() -> None:
    assert people.with_names("Assigned to Ann@Example.COM", NAMES) == [
        "Assigned to ", people.Named("Ann@Example.COM", "Ann Lee")]  # fmt: skip


@pytest.mark.parametrize(
    ("summary", "before", "after"),
    [("Assigned to ann@example.com.", "Assigned to ", "."), ("(by ann@example.com)", "(by ", ")"),
     ("Reply from ann@example.com: VPN", "Reply from ", ": VPN"), ("'ann@example.com', x", "'", "', x"),
     ('<a href="mailto:ann@example.com">', '<a href="mailto:', '">')],
)  # fmt: skip
def test_punctuation_around_an_address_stays_with_the_text(summary: str, before: str, after: str) -> None:
    assert people.with_names(summary, NAMES) == [before, ANN, after]


def test_an_address_with_an_apostrophe_in_its_local_part_is_named_whole() -> None:
    names = {"o'brien@example.com": "Olive O'Brien", "brien@example.com": "Bea Brien"}
    for apostrophe in ("'", "\u2019"):
        address = f"o{apostrophe}brien@example.com"
        assert people.with_names(f"Assigned to {address} by x", {**names, address: "Olive O'Brien"}) == [
            "Assigned to ", people.Named(address, "Olive O'Brien"), " by x"]  # fmt: skip
    assert people.with_names("('o'brien@example.com')", names) == [
        "('", people.Named("o'brien@example.com", "Olive O'Brien"), "')"]  # fmt: skip
    assert people.with_names("Bea's note to brien@example.com", names) == [
        "Bea's note to ", people.Named("brien@example.com", "Bea Brien")]  # fmt: skip


def test_an_address_inside_a_longer_one_or_a_word_is_not_cut_out() -> None:
    for summary in ("x.ann@example.com", "joann@example.com", "ann@example.com.evil.org"):
        assert people.with_names(summary, NAMES) == [summary]


def test_a_subject_of_address_characters_without_an_address_is_read_once_not_once_per_character() -> None:
    hostile = "Reply from x: " + "a+" * 50_000  # read from each character on, this took 10 s
    started = time.perf_counter()
    assert people.with_names(hostile, NAMES) == [hostile]
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("sender_name", "greeted"),
    [("Ann", "Ann"), ("Ann-Marie O'Brien", "Ann-Marie O'Brien"), ("  José  Núñez ", "José Núñez"),
     ("ann@example.org", None), ("IT Ops (automated) #42", None), ("x" * 41, None), ("", None), (None, None)],
)  # fmt: skip
def test_only_a_plain_short_display_name_is_greeted(sender_name: str | None, greeted: str | None) -> None:
    assert people.greeting_name(sender_name) == greeted


@pytest.mark.parametrize(
    ("sender_name", "greeted"),
    [("Lee, Ann", "Ann"), ("O'Brien,  Olive Mary", "Olive Mary"), ("Acme, Inc.", None), ("Smith, Jr.", None),
     ("Lee, Ann, IT", None), ("Lee,", None)],
)  # fmt: skip
def test_a_last_comma_first_name_is_greeted_by_the_first_name(sender_name: str, greeted: str | None) -> None:
    assert people.greeting_name(sender_name) == greeted


def test_an_acknowledgement_greets_a_named_sender_and_says_hello_to_the_rest() -> None:
    def first_line(sender_name: str | None) -> str:
        notice = notices.acknowledgement(incident_id=7, title="Printer", requester="ann@example.org",
                                         desk_address="desk@example.com", in_reply_to=None,
                                         base_url="https://desk.example.com", sender_name=sender_name)  # fmt: skip
        return notice.body.splitlines()[0]

    assert first_line("Ann") == "Hello Ann,"
    assert first_line("Buy <b>now</b>") == "Hello,"
    assert first_line(None) == "Hello,"


def test_an_emailed_request_is_acknowledged_by_the_name_its_from_line_gave(db: Database, intake: Intake) -> None:
    event = InboundEvent(source="email", title="Printer jammed", requester="ann@example.org",
                         message_id="<named@example.org>", mail=MailFacts(sender_name="Ann Smith"))  # fmt: skip
    intake.record(Raw("email", "message/rfc822", b"..."), event)
    with db.read() as session:
        ack = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")).one()
    assert body_of(ack)[0].startswith("Hello Ann Smith,")


def test_the_resolution_mail_greets_the_requester_by_the_name_their_mail_gave(db: Database, intake: Intake) -> None:
    event = InboundEvent(source="email", title="Printer jammed", requester="ann@example.org",
                         message_id="<named@example.org>", mail=MailFacts(sender_name="Ann Smith"))  # fmt: skip
    incident_id = intake.record(Raw("email", "message/rfc822", b"..."), event).incident_id
    assert incident_id is not None
    triage.change_status(db, incident_id, "resolve", Actor("bob@example.com"), MAIL, resolution="New toner.")
    with db.read() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "requester_resolved")).one()
    text, html = body_of(told)
    assert text.startswith("Hello Ann Smith,") and "<p>Hello Ann Smith,</p>" in (html or "")


def test_the_merge_mail_greets_the_requester_by_the_name_their_mail_gave(db: Database, intake: Intake) -> None:
    def emailed(requester: str, name: str | None) -> int:
        event = InboundEvent(source="email", title="Printer jammed", requester=requester,
                             message_id=f"<{requester}>", mail=MailFacts(sender_name=name))  # fmt: skip
        incident_id = intake.record(Raw("email", "message/rfc822", b"..."), event).incident_id
        assert incident_id is not None
        return incident_id

    kept, duplicate = emailed("bob@example.org", None), emailed("ann@example.org", "Ann Smith")
    triage.merge(db, duplicate, kept, Actor("carl@example.com"), MAIL)
    with db.read() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "requester_merged")).one()
    text, html = body_of(told)
    assert text.startswith("Hello Ann Smith,") and "<p>Hello Ann Smith,</p>" in (html or "")
