"""Erasing a requester replaces their full names, not only their address, in the desk's own words about them (notes,
time logged, notices) in the incidents linked to them, after real mail through the SMTP listener, on SQLite and
PostgreSQL; the rules of what counts as their name are pure and tested on their own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub import incident_notes, requester_erasure, time_spent
from hub.addresses import pseudonym
from hub.agent_action import Actor
from hub.db import Database
from hub.models import AuditEntry, Incident, TimeEntry, TimelineEntry
from hub.requester_names import known_names, names_in_mail, pattern
from tests.hub.requester_mail import ANN, desk_listener, send  # noqa: F401  (the fixture `desk`)
from tests.hub.test_requester_data import every_place_holding
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

KEY = "test-secret-key"
AGENT = Actor("agent@example.com")
ALIAS = pseudonym(ANN, KEY)


def note_on_her_incident(db: Database, port: int, text: str, *, name: str = "Ann Example") -> int:
    """Ann (as `name`) mails the desk and an agent notes `text` on the incident it opened; returns the note's id."""
    send(port, "VPN", "It drops.", name=name)
    with db.read() as session:
        incident_id = session.scalars(select(Incident.id)).one()
    incident_notes.add_note(db, incident_id, text, AGENT)
    return newest_note(db)


def newest_note(db: Database) -> int:
    with db.read() as session:
        return session.scalars(select(TimelineEntry.id).where(TimelineEntry.kind == "note").order_by(
            TimelineEntry.id.desc()).limit(1)).one()  # fmt: skip


def note_text(db: Database, note_id: int) -> str:
    with db.read() as session:
        entry = session.get(TimelineEntry, note_id)
        assert entry is not None and entry.data is not None
        return str(entry.data["body"])


def test_a_note_naming_her_names_her_pseudonym_after_erasure(desk: int, db: Database) -> None:
    note = note_on_her_incident(db, desk, "Spoke to Ann Example, she will reboot")
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    assert note_text(db, note) == f"Spoke to {ALIAS}, she will reboot"


def test_a_note_naming_someone_else_with_her_first_name_keeps_it(desk: int, db: Database) -> None:
    note = note_on_her_incident(db, desk, "Ann Other lent Ann's laptop; Ann will call")
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    assert note_text(db, note) == "Ann Other lent Ann's laptop; Ann will call"


@pytest.mark.parametrize(
    ("name", "written", "left"),
    [
        ("Zoë Ångström", "ZOË ÅNGSTRÖM rang; zoë ångström's desk", "{a} rang; {a}'s desk"),
        ("Zoë Ångström", "Zoe\u0308 A\u030angstro\u0308m rang", "{a} rang"),  # accents as combining marks
        ("Siobhán O'Brien", "Siobhán O\u2019Brien rang, not Siobhán O'Briens", "{a} rang, not Siobhán O'Briens"),
        ("Jean-Luc Picard", "jean-luc picard rang, not Jean-Luc Picard-Smith", "{a} rang, not Jean-Luc Picard-Smith"),
    ],
)
def test_names_with_accents_apostrophes_and_hyphens_are_found_as_whole_names_in_any_case(
    desk: int, db: Database, name: str, written: str, left: str
) -> None:
    note = note_on_her_incident(db, desk, written, name=name)
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    assert note_text(db, note) == left.format(a=ALIAS)


def test_a_name_her_later_mail_gave_is_erased_as_well_as_her_contacts(desk: int, db: Database) -> None:
    note = note_on_her_incident(db, desk, "Ann Example, also signing as A. M. Example, rang")
    send(desk, "Re: [INC-1] VPN", "Still.", name="A. M. Example")
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    assert note_text(db, note) == f"{ALIAS}, also signing as {ALIAS}, rang"


def test_the_preview_and_the_audit_count_the_rows_naming_her_and_the_audit_does_not_name_her(
    desk: int, db: Database
) -> None:
    note_on_her_incident(db, desk, "Spoke to Ann Example")
    with db.transaction() as session:
        time_spent.record(session, 1, AGENT.name, time_spent.Spent(5, "Called Ann Example back"))
    with db.read() as session:
        held = requester_erasure.preview(session, ANN)
    assert (held.counts()["names_in_timeline"], held.counts()["names_in_time_entries"]) == (1, 1)
    assert "names" not in held.counts()
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    with db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "requester.erase")).one()
        assert session.scalars(select(TimeEntry.what)).one() == f"Called {ALIAS} back"
    assert entry.detail is not None and entry.detail["names_in_timeline"] == 1
    assert every_place_holding(db, "Ann Example") == []


def test_her_name_in_someone_elses_incident_is_left_as_written(desk: int, db: Database) -> None:
    send(desk, "VPN", "It drops.")
    send(desk, "Printer", "Jammed.", sender="bob@example.org")
    incident_notes.add_note(db, 2, "Ann Example has the same fault", AGENT)
    bobs = newest_note(db)
    with db.read() as session:
        assert requester_erasure.preview(session, ANN).names_in_timeline == ()
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    assert note_text(db, bobs) == "Ann Example has the same fault"


def test_a_one_word_name_is_not_looked_for(desk: int, db: Database) -> None:
    note = note_on_her_incident(db, desk, "Ann rang", name="Ann")
    with db.read() as session:
        assert requester_erasure.preview(session, ANN).names == ()
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    assert note_text(db, note) == "Ann rang"


def test_known_names_are_full_names_once_each_longest_first() -> None:
    candidates = ["Ann", "ann  example", "Ann Example", "Ann Marie Example", "ann@example.com", "Ann 2", None, ""]
    assert known_names(candidates) == ("Ann Marie Example", "ann example")


@pytest.mark.parametrize(
    "text",
    ["Joann Example", "Ann Examples", "Mary-Ann Example", "Ann Example-Smith", "AnnExample", "Ann-Example"],
)
def test_a_name_inside_a_longer_word_or_name_is_not_hers(text: str) -> None:
    assert pattern(["Ann Example"]).search(text) is None


def test_her_name_matches_in_any_case_across_a_line_break() -> None:
    assert pattern(["Ann Example"]).sub("X", "ANN\n  example rang; (ann example)") == "X rang; (X)"


def test_the_names_a_from_header_gives_her_address_are_decoded_and_only_hers() -> None:
    raw = b"From: =?utf-8?q?Zo=C3=AB_=C3=85ngstr=C3=B6m?= <Ann.Example@example.com>, Bob <bob@example.org>\r\n\r\n"
    assert names_in_mail(raw, ANN) == ["Zoë Ångström"]
    assert names_in_mail(b"From: <<<\r\n\r\n", ANN) == []
