"""Files agents attach to notes and replies (hub/agent_files.py): the limits, the types they are mailed as, and
how a note or a reply records them, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hub import incident_notes
from hub.agent_action import Actor, Mail, NothingWritten
from hub.agent_files import FilesTooLarge, TooManyFiles, Upload, check, check_count, content_type_of, keep
from hub.attachments import AttachmentLimits, AttachmentStore
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Raw
from hub.models import Attachment, OutboxMessage, TimelineEntry
from tests.conftest import make_settings

LIMITS = AttachmentLimits(per_file=100, per_message=150)
BOB = Actor("bob@example.com")


def test_more_than_five_files_are_refused_before_any_is_read() -> None:
    check_count(5)
    with pytest.raises(TooManyFiles, match="6 files chosen; attach at most 5"):
        check_count(6)


def test_a_file_over_its_limit_is_refused_by_name() -> None:
    check([Upload("fits.log", b"x" * 100)], LIMITS)
    with pytest.raises(FilesTooLarge, match=r"^big\.log is larger than 100 bytes, the most a file may be$"):
        check([Upload("fits.log", b"x"), Upload("big.log", b"x" * 101)], LIMITS)


def test_files_over_the_limit_together_are_refused() -> None:
    check([Upload("a.log", b"x" * 75), Upload("b.log", b"x" * 75)], LIMITS)
    with pytest.raises(FilesTooLarge, match="come to 151 bytes together; at most 150 bytes"):
        check([Upload("a.log", b"x" * 75), Upload("b.log", b"x" * 76)], LIMITS)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [("form.PDF", "application/pdf"), ("photo.jpeg", "image/jpeg"), ("log.txt", "text/plain"),
     ("dump.weird", "application/octet-stream"), ("Makefile", "application/octet-stream")],
)  # fmt: skip
def test_a_files_type_is_guessed_from_its_name(filename: str, expected: str) -> None:
    assert content_type_of(filename) == expected


def test_keeping_writes_each_file_once_under_its_digest(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path)
    kept = keep(store, [Upload("a.txt", b"same"), Upload("b.txt", b"same")])
    assert [(k.filename, k.content_type, k.size) for k in kept] == [
        ("a.txt", "text/plain", 4),
        ("b.txt", "text/plain", 4),
    ]
    assert kept[0].sha256 == kept[1].sha256 and store.read(kept[0].sha256) == b"same"
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


@pytest.fixture
def incident_id(database: Database, database_url: str, tmp_path: Path) -> int:
    """An incident opened by ann@example.org's mail, on SQLite or PostgreSQL."""
    from ingest.pipeline import make_intake

    intake = make_intake(make_settings(tmp_path / "var", database_url=database_url), database)
    event = InboundEvent(source="email", title="Printer", requester="ann@example.org", message_id="<p@x>")
    outcome = intake.record(Raw("email", "message/rfc822", b"Subject: Printer\r\n\r\nJams."), event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_a_reply_names_its_files_in_its_outbox_row_and_carries_none_of_their_bytes(
    database: Database, incident_id: int, tmp_path: Path
) -> None:
    kept = keep(AttachmentStore(tmp_path), [Upload("driver.zip", b"PK driver bytes")])
    incident_notes.reply(
        database, incident_id, "The driver.", BOB, Mail("desk@example.com", "https://desk"), files=kept
    )
    with database.read() as session:
        reply = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "reply")).one()
        file = session.scalars(select(Attachment)).one()
        owed = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
    assert (file.timeline_entry_id, file.event_id, file.incident_id) == (reply.id, None, incident_id)
    assert (file.filename, file.size, file.sha256) == ("driver.zip", 15, kept[0].sha256)
    assert owed.attachment_ids == [file.id]
    assert "PK driver bytes" not in f"{owed.body} {owed.facts} {owed.payload} {owed.headers}"


def test_a_notes_files_are_listed_under_the_note_and_owe_no_mail(
    database: Database, incident_id: int, tmp_path: Path
) -> None:
    kept = keep(AttachmentStore(tmp_path), [Upload("photo.jpg", b"\xff\xd8 photo"), Upload("log.txt", b"log")])
    with database.read() as session:
        owed_before = len(session.scalars(select(OutboxMessage.id)).all())
    incident_notes.add_note(database, incident_id, "The broken device.", BOB, files=kept)
    with database.read() as session:
        note = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "note")).one()
        files = session.execute(select(Attachment.filename, Attachment.timeline_entry_id).order_by(Attachment.id))
        assert files.all() == [("photo.jpg", note.id), ("log.txt", note.id)]
        assert len(session.scalars(select(OutboxMessage.id)).all()) == owed_before


def test_a_note_of_files_alone_is_kept_with_no_words(database: Database, incident_id: int, tmp_path: Path) -> None:
    kept = keep(AttachmentStore(tmp_path), [Upload("screenshot.png", b"\x89PNG screen")])
    incident_notes.add_note(database, incident_id, "  ", BOB, files=kept)
    with database.read() as session:
        note = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "note")).one()
        file = session.scalars(select(Attachment)).one()
    assert note.data is not None and note.data["body"] == "" and file.timeline_entry_id == note.id


def test_a_reply_of_files_alone_is_mailed_saying_who_sent_how_many(
    database: Database, incident_id: int, tmp_path: Path
) -> None:
    kept = keep(AttachmentStore(tmp_path), [Upload("form.pdf", b"%PDF form"), Upload("map.png", b"\x89PNG map")])
    incident_notes.reply(database, incident_id, "", BOB, Mail("desk@example.com", "https://desk"), files=kept)
    with database.read() as session:
        reply = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "reply")).one()
        owed = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
    assert reply.data is not None and reply.data["body"] == ""
    assert (
        owed.facts is not None and owed.facts["text"] == "Bob sent you 2 files: form.pdf, map.png."
    )  # by name, never the address
    assert owed.attachment_ids is not None and len(owed.attachment_ids) == 2


@pytest.mark.parametrize("write", ["note", "reply"])
def test_a_note_or_reply_with_neither_words_nor_files_is_refused_saying_what_it_needs(
    database: Database, incident_id: int, write: str
) -> None:
    mail = Mail("desk@example.com", "https://desk")
    with pytest.raises(NothingWritten, match=f"the {write} is empty; write something or attach a file"):
        if write == "note":
            incident_notes.add_note(database, incident_id, " \n", BOB, mail)
        else:
            incident_notes.reply(database, incident_id, " \n", BOB, mail)
    with database.read() as session:
        assert session.scalars(select(TimelineEntry).where(TimelineEntry.kind == write)).all() == []
