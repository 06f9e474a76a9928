"""Files agents attach to notes and replies, from the incident page and the API: listed under their note or reply,
served as an email's files are, mailed with a reply by the real worker to the SMTP sink, refused over the limits
with nothing saved."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Attachment, OutboxMessage, TimelineEntry
from outbound import runtime
from outbound.queue import connect, make_queue
from tests.delivery import Mailing, signal_handlers_kept
from tests.servers import SmtpSink
from tests.web.helpers import Login, csrf_token, log_in
from web import create_app
from web.services import services

EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Certificate\r\n\r\nMine expired.")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n\x00\xff binary tail\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
LINK = re.compile(r'href="(/incidents/INC-\d+/attachments/\d+)"')


def emailed_incident(intake: Intake) -> str:
    """An incident opened by ann@example.org's mail, so it has a requester to reply to."""
    event = InboundEvent(source="email", title="Certificate expired", requester="ann@example.org",
                         description="Mine expired.", message_id="<cert-1@example.org>")  # fmt: skip
    return intake.record(EMAIL, event).ref


def write(
    client: FlaskClient, ref: str, form: str, text: str, *files: tuple[bytes, str], **fields: str
) -> TestResponse:
    """Post the incident page's note or reply form with `files` (bytes, filename), as a browser does."""
    token = csrf_token(client.get(f"/incidents/{ref}").get_data(as_text=True))
    data: dict[str, object] = {"csrf_token": token, "text": text, **fields}
    data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(f"/incidents/{ref}/{form}", data=data, content_type="multipart/form-data")


def entry_html(page: str, kind: str) -> str:
    """The HTML of the timeline's (first) entry of `kind`."""
    start = page.index(f'<li class="entry entry-{kind}">')
    end = page.find('<li class="entry entry-', start + 1)
    return page[start : end if end != -1 else None]


def count(db: Database, model: type, *where: object) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def stored_files(settings: Settings) -> list[str]:
    root = settings.home / "attachments"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


@dataclass(frozen=True)
class Desk(Mailing):
    """The web app, an agent logged in, and the delivery of its mail through a real worker to the SMTP sink."""

    client: FlaskClient
    settings: Settings


@pytest.fixture
def desk(settings: Settings, db: Database, redis_url: str, smtp_sink: SmtpSink, user: Login) -> Iterator[Desk]:
    relayed = replace(settings, redis_url=redis_url, smtp_relay=smtp_sink.url, retry_first=0.0, retry_cap=0.0)
    runtime.install(relayed, db)
    connection = connect(redis_url)
    client = create_app(relayed, db=db).test_client()
    log_in(client, user)
    try:
        with signal_handlers_kept():
            yield Desk(db, make_queue(connection), smtp_sink, client, relayed)
    finally:
        runtime.reset()
        connection.close()


@pytest.fixture
def small_limits(settings: Settings, db: Database, user: Login) -> Iterator[FlaskClient]:
    """An agent's client on an installation keeping files of at most 1,000 bytes, 1,500 bytes to a message."""
    app = create_app(replace(settings, attachment_max_bytes=1000, attachments_max_message_bytes=1500), db=db)
    client = app.test_client()
    log_in(client, user)
    yield client
    with app.app_context():
        services().close()


def test_a_reply_with_a_pdf_reaches_the_requester_with_the_file_as_a_mime_part_byte_for_byte(
    desk: Desk, intake: Intake
) -> None:
    ref = emailed_incident(intake)
    answer = write(desk.client, ref, "reply", "Your new certificate is attached.", (PDF, "certificate.pdf"))
    assert answer.status_code == 303
    desk.deliver()
    [reply] = [m for m in desk.sink.handler.wait_for(2) if "Re:" in m.message["Subject"]]
    assert reply.rcpt_tos == ["ann@example.org"]
    [part] = list(reply.message.iter_attachments())  # type: ignore[attr-defined]
    assert (part.get_filename(), part.get_content_type()) == ("certificate.pdf", "application/pdf")
    assert part.get_payload(decode=True) == PDF
    text = reply.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Your new certificate is attached." in text


def test_a_reply_of_a_file_alone_reaches_the_requester_saying_who_sent_it(desk: Desk, intake: Intake) -> None:
    ref = emailed_incident(intake)
    answer = write(desk.client, ref, "reply", "", (PDF, "certificate.pdf"))
    assert answer.status_code == 303
    page = desk.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"{ref} reply queued to ann@example.org with 1 file." in page
    desk.deliver()
    [reply] = [m for m in desk.sink.handler.wait_for(2) if "Re:" in m.message["Subject"]]
    [part] = list(reply.message.iter_attachments())  # type: ignore[attr-defined]
    assert (part.get_filename(), part.get_payload(decode=True)) == ("certificate.pdf", PDF)
    text = reply.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.splitlines()[0] == "Agent sent you 1 file: certificate.pdf."


def test_a_reply_whose_file_vanished_from_the_store_is_dead_with_the_reason_and_not_sent(
    desk: Desk, intake: Intake, make_user: Callable[..., Login]
) -> None:
    ref = emailed_incident(intake)
    write(desk.client, ref, "reply", "The form is attached.", (PDF, "form.pdf"))
    with desk.db.read() as session:
        digest = session.scalars(select(Attachment.sha256)).one()
    (desk.settings.home / "attachments" / digest[:2] / digest).unlink()  # the store lost it
    desk.deliver()
    sent = desk.sink.handler.wait_for(1)
    assert ["Re:" in m.message["Subject"] for m in sent] == [False]  # the acknowledgement only
    with desk.db.read() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
    assert row.status == "dead" and row.last_error is not None
    assert "form.pdf" in row.last_error and "missing from the attachment store" in row.last_error
    admin = desk.client.application.test_client()
    log_in(admin, make_user(email="admin@example.com", role="admin"))
    listed = admin.get("/outbox?state=dead").get_data(as_text=True)
    assert "missing from the attachment store" in listed


def test_a_notes_image_is_listed_under_the_note_and_served_with_nosniff(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    answer = write(logged_in, ref, "note", "The broken switch.", (PNG, "switch.png"))
    assert answer.status_code == 303
    page = logged_in.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"{ref} note added with 1 file." in page
    note = entry_html(page, "note")
    assert "switch.png" in note
    [link] = LINK.findall(note)
    served = logged_in.get(link)
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_note_of_a_file_alone_is_listed_under_the_note(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    answer = write(logged_in, ref, "note", "", (PNG, "screenshot.png"))
    page = logged_in.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"{ref} note added with 1 file." in page
    note = entry_html(page, "note")
    assert "screenshot.png" in note and 'class="mail-text"' not in note  # the file, and no empty message


@pytest.mark.parametrize("form", ["note", "reply"])
def test_a_note_or_reply_with_neither_words_nor_a_file_is_refused_saying_what_it_needs(
    logged_in: FlaskClient, intake: Intake, db: Database, form: str
) -> None:
    ref = emailed_incident(intake)
    answer = write(logged_in, ref, form, "   ")
    page = logged_in.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"The {form} is empty; write something or attach a file." in page
    assert count(db, TimelineEntry, TimelineEntry.kind == form) == 0


def test_a_notes_file_of_a_type_that_could_run_script_is_served_as_an_inert_attachment(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    answer = write(logged_in, ref, "note", "What the kiosk showed.", (svg, "kiosk.svg"))
    [link] = LINK.findall(entry_html(logged_in.get(answer.headers["Location"]).get_data(as_text=True), "note"))
    served = logged_in.get(link)
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_over_the_limit_is_refused_beside_the_field_and_nothing_is_saved(
    small_limits: FlaskClient, intake: Intake, db: Database, settings: Settings
) -> None:
    ref = emailed_incident(intake)
    outbox_before = count(db, OutboxMessage)
    answer = write(small_limits, ref, "reply", "Here is the big log.", (b"x" * 1001, "big.log"), spent="15m")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="reply-files-error" role="alert">([^<]*)</p>', page)
    assert error is not None and error.group(1) == "big.log is larger than 1000 bytes, the most a file may be"
    assert 'aria-describedby="reply-files-help reply-files-error"' in page
    assert ">Here is the big log.</textarea>" in page and 'value="15m"' in page  # what was typed is kept
    assert count(db, Attachment) == 0 and count(db, TimelineEntry, TimelineEntry.kind == "reply") == 0
    assert count(db, OutboxMessage) == outbox_before and stored_files(settings) == []


def test_files_over_the_limit_together_are_refused(
    small_limits: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    answer = write(small_limits, ref, "note", "Two logs.", (b"a" * 900, "a.log"), (b"b" * 900, "b.log"))
    assert answer.status_code == 400
    assert "the files come to 1 KB together; at most 1 KB may go with one note or reply" in answer.get_data(
        as_text=True
    )
    assert count(db, Attachment) == 0 and count(db, TimelineEntry, TimelineEntry.kind == "note") == 0


def test_more_than_five_files_are_refused(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    files = [(f"line {n}".encode(), f"{n}.txt") for n in range(6)]
    answer = write(logged_in, ref, "note", "Six logs.", *files)
    assert answer.status_code == 400 and "6 files chosen; attach at most 5" in answer.get_data(as_text=True)
    assert count(db, Attachment) == 0


def test_a_body_over_what_the_files_may_come_to_is_cut_off_with_413(
    small_limits: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    answer = write(small_limits, ref, "note", "A disk image.", (b"\0" * 300_000, "disk.img"))
    assert answer.status_code == 413
    assert count(db, Attachment) == 0 and count(db, TimelineEntry, TimelineEntry.kind == "note") == 0


def test_filenames_lose_their_path_and_control_characters_as_an_emails_do(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    write(
        logged_in, ref, "note", "Odd names.", (b"root:x:0:0", "../../etc/passwd"), (b"beep", "bell\x07\x1b[2Jlog.txt")
    )
    with db.read() as session:
        names = session.scalars(select(Attachment.filename).order_by(Attachment.id)).all()
    assert names == ["passwd", "bell_[2Jlog.txt"]


def test_a_viewer_cannot_attach_a_file(
    client: FlaskClient, make_user: Callable[..., Login], raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    answer = write(client, ref, "note", "Let me add this.", (PNG, "mine.png"))
    assert answer.status_code == 403 and count(db, Attachment) == 0


def test_an_anonymous_client_cannot_fetch_a_file(
    app: Flask, logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    answer = write(logged_in, ref, "note", "The switch.", (PNG, "switch.png"))
    [link] = LINK.findall(logged_in.get(answer.headers["Location"]).get_data(as_text=True))
    stranger = app.test_client().get(link)
    assert stranger.status_code == 302 and "/login" in stranger.headers["Location"]
    assert PNG not in stranger.data


def test_a_note_without_its_csrf_token_saves_nothing(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    answer = logged_in.post(f"/incidents/{ref}/note", data={"text": "x", "files": [(io.BytesIO(PNG), "a.png")]},
                            content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400 and count(db, Attachment) == 0


def test_the_api_takes_a_multipart_comment_with_files(
    client: FlaskClient, agent_token: str, intake: Intake, db: Database
) -> None:
    ref = emailed_incident(intake)
    data = {"text": "The signed form.", "reply": "true", "minutes": "10",
            "file": [(io.BytesIO(PDF), "form.pdf"), (io.BytesIO(PNG), "stamp.png")]}  # fmt: skip
    answer = client.post(f"/api/v1/incidents/{ref}/comments", data=data, content_type="multipart/form-data",
                         headers={"Authorization": f"Bearer {agent_token}"})  # fmt: skip
    assert answer.status_code == 201, answer.json
    assert answer.json["minutes_spent"] == 10  # type: ignore[index]
    with db.read() as session:
        files = session.scalars(select(Attachment).order_by(Attachment.id)).all()
        reply = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "reply")).one()
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
    assert [(f.filename, f.content_type, f.timeline_entry_id) for f in files] == [
        ("form.pdf", "application/pdf", reply.id),
        ("stamp.png", "image/png", reply.id),
    ]
    assert mail.attachment_ids == [f.id for f in files]


def test_the_api_takes_a_multipart_reply_of_files_alone(
    client: FlaskClient, agent_token: str, intake: Intake, db: Database
) -> None:
    ref = emailed_incident(intake)
    data = {"reply": "true", "file": [(io.BytesIO(PDF), "form.pdf")]}
    answer = client.post(f"/api/v1/incidents/{ref}/comments", data=data, content_type="multipart/form-data",
                         headers={"Authorization": f"Bearer {agent_token}"})  # fmt: skip
    assert answer.status_code == 201, answer.json
    with db.read() as session:
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
    assert mail.facts is not None and mail.facts["text"] == "Chatops sent you 1 file: form.pdf."
    assert mail.attachment_ids is not None and len(mail.attachment_ids) == 1


@pytest.mark.parametrize(
    "sent", [{"json": {"text": " "}}, {"data": {"text": ""}, "content_type": "multipart/form-data"}]
)
def test_the_api_answers_400_to_a_comment_with_neither_words_nor_a_file(
    client: FlaskClient, agent_token: str, raise_incident: Callable[..., str], db: Database, sent: dict[str, object]
) -> None:
    ref = raise_incident()
    answer = client.post(f"/api/v1/incidents/{ref}/comments", headers={"Authorization": f"Bearer {agent_token}"},
                         **sent)  # type: ignore[arg-type]  # fmt: skip
    assert answer.status_code == 400
    assert answer.json == {"error": "the note is empty; write something or attach a file"}
    assert count(db, TimelineEntry, TimelineEntry.kind == "note") == 0


def test_the_api_answers_413_for_a_file_over_the_limit_and_saves_nothing(
    settings: Settings, db: Database, agent_token: str, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    client = create_app(replace(settings, attachment_max_bytes=1000), db=db).test_client()
    answer = client.post(f"/api/v1/incidents/{ref}/comments", content_type="multipart/form-data",
                         data={"text": "Log.", "file": [(io.BytesIO(b"x" * 1001), "big.log")]},
                         headers={"Authorization": f"Bearer {agent_token}"})  # fmt: skip
    assert answer.status_code == 413
    assert answer.json == {"error": "big.log is larger than 1000 bytes, the most a file may be"}
    assert count(db, Attachment) == 0 and count(db, TimelineEntry, TimelineEntry.kind == "note") == 0


def test_the_api_refuses_files_in_a_part_of_another_name(
    client: FlaskClient, agent_token: str, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    answer = client.post(f"/api/v1/incidents/{ref}/comments", content_type="multipart/form-data",
                         data={"text": "Log.", "files": [(io.BytesIO(b"x"), "a.log")]},
                         headers={"Authorization": f"Bearer {agent_token}"})  # fmt: skip
    assert answer.status_code == 400 and "parts named 'file'" in answer.json["error"]  # type: ignore[index]
    assert count(db, TimelineEntry, TimelineEntry.kind == "note") == 0
