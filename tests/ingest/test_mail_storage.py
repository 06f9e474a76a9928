"""What the intake keeps of an email beyond the incident: its files, its sender as a contact and organisation,
and the timeline's newest reply, full text and HTML. Real SQLite, real files under SWITCHBOARD_HOME."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

from sqlalchemy import select

from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.models import Attachment, Contact, Incident, Organisation, TimelineEntry
from ingest.mail_intake import store_message


def question(sender: str = "Ann Example <ann@acme.example>", subject: str = "Printer on fire") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, "helpdesk@localhost", subject, "<q1@acme>"
    msg.set_content("Third floor, near the kitchen.")
    msg.add_alternative("<p>Third floor, <b>near the kitchen</b>.</p><script>alert(1)</script>", subtype="html")
    return msg


def test_attachments_are_written_under_home_by_digest_and_listed_with_the_incident(
    intake: Intake, db: Database, settings: Settings
) -> None:
    msg = question()
    msg.add_attachment(b"ERROR everywhere\n", maintype="text", subtype="plain", filename="app.log")
    stored = store_message(intake, msg.as_bytes())
    digest = hashlib.sha256(b"ERROR everywhere\n").hexdigest()
    assert (settings.home / "attachments" / digest[:2] / digest).read_bytes() == b"ERROR everywhere\n"
    with db.read() as s:
        row = s.scalars(select(Attachment)).one()
    assert (row.incident_id, row.event_id, row.filename, row.sha256, row.stored) == (
        stored.incident_id, stored.event_id, "app.log", digest, True
    )  # fmt: skip


def test_an_attachment_over_the_limit_is_listed_as_not_stored(intake: Intake, db: Database, settings: Settings) -> None:
    msg = question()
    msg.add_attachment(b"x" * (11 * 1024 * 1024), maintype="application", subtype="octet-stream", filename="big.bin")
    store_message(intake, msg.as_bytes())
    with db.read() as s:
        row = s.scalars(select(Attachment)).one()
    assert not row.stored and "too large" in (row.note or "") and row.size == 11 * 1024 * 1024
    assert not (settings.home / "attachments" / row.sha256[:2] / row.sha256).exists()


def test_first_mail_makes_a_contact_and_an_organisation_that_sets_the_incident_label(
    intake: Intake, db: Database
) -> None:
    store_message(intake, question().as_bytes())
    store_message(intake, question("Bo <bo@acme.example>", "Second").as_bytes())
    with db.read() as s:
        contacts = {c.email: c.name for c in s.scalars(select(Contact))}
        organisations = s.scalars(select(Organisation.name)).all()
        labels = [i.labels.get("organisation") for i in s.scalars(select(Incident).order_by(Incident.id))]
    assert contacts == {"ann@acme.example": "Ann Example", "bo@acme.example": "Bo"}
    assert organisations == ["acme.example"] and labels == ["acme.example", "acme.example"]


def test_free_mail_senders_belong_to_no_organisation(intake: Intake, db: Database) -> None:
    store_message(intake, question("Sam <sam@gmail.com>").as_bytes())
    with db.read() as s:
        assert s.scalars(select(Contact.email)).all() == ["sam@gmail.com"]
        assert s.scalars(select(Organisation)).all() == []
        assert "organisation" not in s.scalars(select(Incident)).one().labels


def test_automatic_mail_makes_no_contact(intake: Intake, db: Database) -> None:
    msg = question("Away <away@acme.example>")
    msg["Auto-Submitted"] = "auto-replied"
    store_message(intake, msg.as_bytes())
    with db.read() as s:
        assert s.scalars(select(Contact)).all() == []


def test_a_reply_keeps_its_text_and_html_on_the_timeline(intake: Intake, db: Database) -> None:
    opened = store_message(intake, question().as_bytes())
    reply = EmailMessage()
    reply["From"], reply["Subject"] = "ann@acme.example", f"Re: [{opened.ref}] Printer on fire"
    reply["In-Reply-To"] = "<q1@acme>"
    reply.set_content("It is out now.\n\nOn Mon, 3 Feb 2025 at 10:00, Desk <helpdesk@localhost> wrote:\n> Where?\n")
    reply.add_alternative("<p>It is out now.</p>", subtype="html")
    assert store_message(intake, reply.as_bytes()).incident_id == opened.incident_id
    with db.read() as s:
        data = s.scalars(select(TimelineEntry.data).where(TimelineEntry.kind == "email")).one()
        opened_data = s.scalars(select(TimelineEntry.data).where(TimelineEntry.kind == "opened")).one()
    assert data is not None and opened_data is not None
    assert "> Where?" in data["body"] and data["html"] == "<p>It is out now.</p>\n"
    assert "near the kitchen" in opened_data["html"]  # kept as sent; sanitised only when shown
