"""A requester's mail and replies through the desk's real SMTP listener, and what the desk mails back through the
real relay: a thank-you after the resolution leaves the incident resolved; a request merged into another is told
where it went, and its replies reach it there."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from hub import triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.models import Incident, TimelineEntry
from hub.net import free_port
from ingest.smtp import make_controller
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts
from tests.servers import Received
from web import create_app

ANN, BOB, CAROL, DESK = "ann@example.com", "bob@example.com", "carol@example.com", "helpdesk@localhost"


@pytest.fixture
def desk(parts: Parts) -> Iterator[int]:
    """The desk's SMTP listener on a free loopback port, recording into the test's database."""
    controller = make_controller(parts.settings, parts.intake, port=free_port())
    controller.start()
    yield int(controller.port)
    controller.stop()


def send(port: int, subject: str, body: str, *, replying_to: EmailMessage | None = None, sender: str = ANN) -> None:
    """Mail the desk as `sender`; `replying_to`: the desk's mail it answers (threaded, its text quoted below)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, DESK, subject
    msg["Message-ID"] = f"<{abs(hash((subject, body, sender)))}@mail.example.net>"
    if replying_to is not None:
        msg["In-Reply-To"] = msg["References"] = replying_to["Message-ID"]
        quoted = "\n".join(f"> {line}" for line in replying_to.get_body(("plain",)).get_content().splitlines())
        desk = replying_to["From"].addresses[0].addr_spec
        body = f"{body}\n\nOn Mon, 30 Nov 2026 at 10:02, Service desk <{desk}> wrote:\n{quoted}\n"
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [DESK], msg.as_bytes(policy=policy.SMTP))


def resolved_request(parts: Parts, port: int) -> tuple[int, EmailMessage]:
    """Ann's request, assigned to Bob and resolved; the resolution mail she received."""
    with parts.db.transaction() as session:
        create_user(session, email=BOB, password="long enough", role="agent")
    send(port, "Printer on fire", "Third floor, next to the kitchen.")
    with parts.db.read() as session:
        incident_id = session.scalars(select(Incident.id)).one()
    mail = Mail(parts.settings.desk_address, parts.settings.base_url)
    triage.assign(parts.db, incident_id, BOB, Actor("lead@example.com"), mail)
    triage.change_status(parts.db, incident_id, "resolve", Actor(BOB), mail, resolution="Cleared the jam.")
    deliver_everything(parts.queue, parts.db)
    received = parts.sink.handler.wait_for(3)  # Ann: acknowledgement, resolution; Bob: assigned
    [resolution] = [r.message for r in received if r.rcpt_tos == [ANN] and "Resolved" in r.message["Subject"]]
    return incident_id, resolution


def delivered_after(parts: Parts, before: int) -> list[Received]:
    deliver_everything(parts.queue, parts.db)
    return parts.sink.handler.received[before:]


def test_the_resolution_mail_says_a_reply_reopens_and_a_thank_you_does_not(parts: Parts, desk: int) -> None:
    _incident, resolution = resolved_request(parts, desk)
    text, html = resolution.get_body(("plain",)).get_content(), resolution.get_body(("html",)).get_content()
    for body in (text, html):
        assert "If it is not fixed for you, reply to this email" in body
        assert "that reopens it; a thank-you does not." in body


def test_a_thank_you_to_the_resolution_mail_stays_resolved_and_mails_no_one(parts: Parts, desk: int) -> None:
    incident_id, resolution = resolved_request(parts, desk)
    before = len(parts.sink.handler.received)
    send(desk, f"Re: {resolution['Subject']}", "Thanks, it prints now!", replying_to=resolution)
    assert delivered_after(parts, before) == []
    with parts.db.read() as session:
        assert session.get(Incident, incident_id).status == "resolved"  # type: ignore[union-attr]
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id))
        assert f"Thanks from {ANN}: Re: {resolution['Subject']}" in list(summaries)


def test_thanks_that_say_it_broke_again_reopen_and_tell_the_assignee(parts: Parts, desk: int) -> None:
    incident_id, resolution = resolved_request(parts, desk)
    before = len(parts.sink.handler.received)
    send(desk, f"Re: {resolution['Subject']}", "Thanks, but it broke again.", replying_to=resolution)
    deliver_everything(parts.queue, parts.db)
    [reopened] = parts.sink.handler.wait_for(before + 1)[before:]
    assert reopened.rcpt_tos == [BOB] and "Reopened" in reopened.message["Subject"]
    with parts.db.read() as session:
        assert session.get(Incident, incident_id).status == "open"  # type: ignore[union-attr]


def incident_titled(parts: Parts, title: str) -> int:
    with parts.db.read() as session:
        return session.scalars(select(Incident.id).where(Incident.title == title)).one()


def summaries(parts: Parts, incident_id: int) -> list[str]:
    with parts.db.read() as session:
        return list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id)))


def test_a_merged_requests_requester_is_told_where_it_went_and_their_replies_reach_it(parts: Parts, desk: int) -> None:
    send(desk, "Printer on fire", "Third floor.")
    send(desk, "Printer smoking", "Next to the kitchen.", sender=CAROL)
    survivor, duplicate = incident_titled(parts, "Printer on fire"), incident_titled(parts, "Printer smoking")
    deliver_everything(parts.queue, parts.db)
    [carols_ack] = [r.message for r in parts.sink.handler.wait_for(2) if r.rcpt_tos == [CAROL]]
    triage.merge(parts.db, duplicate, survivor, Actor(BOB), Mail(parts.settings.desk_address, parts.settings.base_url))
    deliver_everything(parts.queue, parts.db)
    [merged] = parts.sink.handler.wait_for(3)[2:]
    into, was = f"INC-{survivor}", f"INC-{duplicate}"
    assert merged.rcpt_tos == [CAROL]
    assert merged.message["Subject"] == f"[{was}] Now followed under {into}: Printer smoking"
    assert merged.message["In-Reply-To"] == carols_ack["Message-ID"]  # in her own conversation about it
    text = merged.message.get_body(("plain",)).get_content()
    assert f"any earlier one about {was}: your reply reaches {into}" in text
    [url] = re.findall(rf"See where it stands at any time: {re.escape(parts.settings.base_url)}(/requests/\S+)", text)
    page = create_app(parts.settings, db=parts.db).test_client().get(url).get_data(as_text=True)
    assert '<strong id="state">Merged</strong>' in page and f"It is followed under {into} now" in page

    send(desk, f"Re: {carols_ack['Subject']}", "The fan is loud too.", replying_to=carols_ack, sender=CAROL)
    send(desk, f"Re: [{was}] Printer smoking", "And it smells.", sender=CAROL)  # the tag alone, no references
    assert summaries(parts, survivor).count(f"Reply from {CAROL}: Re: [{was}] Printer smoking") == 2
    assert incident_titled(parts, "Printer smoking") == duplicate  # no new incident was opened


def test_a_merged_requests_requester_is_mailed_its_resolution_in_their_own_conversation(
    parts: Parts, desk: int
) -> None:
    send(desk, "Printer on fire", "Third floor.")
    send(desk, "Printer smoking", "Next to the kitchen.", sender=CAROL)
    survivor, duplicate = incident_titled(parts, "Printer on fire"), incident_titled(parts, "Printer smoking")
    mail = Mail(parts.settings.desk_address, parts.settings.base_url)
    triage.merge(parts.db, duplicate, survivor, Actor(BOB), mail)
    deliver_everything(parts.queue, parts.db)
    [carols_merge] = [r.message for r in parts.sink.handler.wait_for(3) if "Now followed" in r.message["Subject"]]
    triage.change_status(parts.db, survivor, "resolve", Actor(BOB), mail, resolution="Replaced the fuser.")
    deliver_everything(parts.queue, parts.db)
    [resolution] = [r.message for r in parts.sink.handler.wait_for(5)[3:] if r.rcpt_tos == [CAROL]]
    into, was = f"INC-{survivor}", f"INC-{duplicate}"
    assert resolution["Subject"] == f"[{was}] Resolved: Printer smoking"
    assert carols_merge["Message-ID"] in resolution["References"]  # in her own conversation about it
    text = resolution.get_body(("plain",)).get_content()
    assert f"It was followed under {into}" in text and "Replaced the fuser." in text
    [url] = re.findall(rf"followed at {re.escape(parts.settings.base_url)}(/requests/\S+)", text)
    page = create_app(parts.settings, db=parts.db).test_client().get(url).get_data(as_text=True)
    assert '<strong id="state">Merged</strong>' in page and f"{into} was resolved: we think it is fixed" in page

    send(desk, f"Re: {resolution['Subject']}", "Still smoking.", replying_to=resolution, sender=CAROL)
    with parts.db.read() as session:
        assert session.get(Incident, survivor).status == "open"  # type: ignore[union-attr]
    page = create_app(parts.settings, db=parts.db).test_client().get(url).get_data(as_text=True)
    assert f"{into} was reopened: the desk is working on it again." in page
