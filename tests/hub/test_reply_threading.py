"""Replies to incidents that are over: reopen within the window, a linked follow-up after it, and automatic mail
(out-of-office) that never reopens anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from hub import triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import AttachmentInfo, InboundEvent, MailFacts
from hub.intake import Intake, Raw
from hub.mail_threads import Thread, follow_up_title, reply_route
from hub.models import Incident, OutboxMessage, TimelineEntry
from hub.outbox import body_of

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
WEEK = 7 * 86400.0
RAW = Raw(source="email", content_type="message/rfc822", body=b"x")
AGENT, MAIL = Actor("agent@example.com"), Mail("helpdesk@example.com", "http://desk")


def thread(status: str, resolved_days_ago: float | None = None) -> Thread:
    resolved = NOW - timedelta(days=resolved_days_ago) if resolved_days_ago is not None else None
    return Thread(1, status, 1, "ann@example.org", resolved)


def test_a_reply_to_an_open_incident_is_added() -> None:
    assert reply_route(thread("acknowledged"), automatic=False, now=NOW, reopen_window=WEEK) == "add"


def test_a_reply_soon_after_the_resolution_reopens() -> None:
    assert reply_route(thread("resolved", 2), automatic=False, now=NOW, reopen_window=WEEK) == "reopen"


def test_a_reply_after_the_window_or_to_a_closed_incident_is_a_follow_up() -> None:
    assert reply_route(thread("resolved", 8), automatic=False, now=NOW, reopen_window=WEEK) == "follow_up"
    assert reply_route(thread("closed", 1), automatic=False, now=NOW, reopen_window=WEEK) == "follow_up"


def test_automatic_mail_never_reopens() -> None:
    assert reply_route(thread("resolved", 1), automatic=True, now=NOW, reopen_window=WEEK) == "add"


def test_thanks_to_a_resolved_or_closed_incident_neither_reopens_nor_follows_up() -> None:
    for over in (thread("resolved", 2), thread("resolved", 8), thread("closed", 1)):
        assert reply_route(over, automatic=False, now=NOW, reopen_window=WEEK, thanks=lambda: True) == "thanks"


def test_thanks_on_an_open_incident_is_added_as_any_reply() -> None:
    assert reply_route(thread("open"), automatic=False, now=NOW, reopen_window=WEEK, thanks=lambda: True) == "add"


def ask(intake: Intake, n: int = 1, **kw: object) -> int:
    event = InboundEvent(source="email", title="VPN drops", requester="ann@example.org",
                         message_id=f"<q{n}@example.org>", **kw)  # type: ignore[arg-type]  # fmt: skip
    outcome = intake.record(RAW, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def answer(intake: Intake, incident_id: int, title: str = "Re: VPN drops", **kw: object) -> int | None:
    event = InboundEvent(source="email", title=title, requester="ann@example.org",
                         message_id="<a1@example.org>", in_reply_to=("<q1@example.org>",),
                         thread_ref=incident_id, **kw)  # type: ignore[arg-type]  # fmt: skip
    return intake.record(RAW, event).incident_id


def resolved_days_ago(db: Database, incident_id: int, days: float) -> None:
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == incident_id)
                        .values(resolved_at=datetime.now(UTC) - timedelta(days=days)))  # fmt: skip


def status(db: Database, incident_id: int) -> str:
    with db.read() as session:
        return str(session.scalar(select(Incident.status).where(Incident.id == incident_id)))


def test_the_requesters_reply_reopens_a_recently_resolved_incident(db: Database, intake: Intake) -> None:
    first = ask(intake)
    resolved_days_ago(db, first, 1)
    assert answer(intake, first) == first
    assert status(db, first) == "open"
    with db.read() as session:
        summaries = list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == first)))
    assert "Reopened by a reply from ann@example.org" in summaries


def test_a_reply_that_reopens_clears_how_it_was_resolved(db: Database, intake: Intake) -> None:
    first = ask(intake)
    triage.change_status(db, first, "resolve", AGENT, MAIL, resolution="Restarted the VPN concentrator")
    assert answer(intake, first) == first
    with db.read() as session:
        reopened = session.get_one(Incident, first)
        assert (reopened.status, reopened.resolution) == ("open", None)


def test_a_late_reply_opens_a_follow_up_naming_the_old_incident(db: Database, intake: Intake) -> None:
    first = ask(intake)
    resolved_days_ago(db, first, 10)
    follow_up = answer(intake, first)
    assert follow_up is not None and follow_up != first
    assert status(db, first) == "resolved"
    with db.read() as session:
        new = session.get(Incident, follow_up)
        assert new is not None and new.labels["follows"] == f"INC-{first}"
        notes = list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "related")))
    assert f"Follow-up of INC-{first} (resolved)" in notes and f"Follow-up opened as INC-{follow_up}" in notes[1]


def test_a_follow_up_of_a_reply_to_our_mail_takes_the_old_title() -> None:
    for subject in (
        "RE: [INC-1] Resolved: Printer jammed",
        "AW: WG: [INC-1] Re: printer  jammed",
        "SV: Printer jammed",
    ):
        assert follow_up_title(subject, "Printer jammed") == "Printer jammed"


def test_a_follow_up_with_a_subject_of_its_own_keeps_it_without_the_prefixes() -> None:
    assert follow_up_title("Re: [INC-1] Printer jammed again, now on floor 4", "Printer jammed") == (
        "Printer jammed again, now on floor 4"
    )


def test_a_late_replys_acknowledgement_names_the_old_request_under_its_title(db: Database, intake: Intake) -> None:
    first = ask(intake)
    resolved_days_ago(db, first, 10)
    follow_up = answer(intake, first, title=f"RE: [INC-{first}] Resolved: VPN drops")
    with db.read() as session:
        new = session.get_one(Incident, follow_up)
        ack = session.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == follow_up)).one()
        text, html = body_of(ack)
    assert (new.title, ack.subject) == ("VPN drops", f"[INC-{follow_up}] VPN drops")
    assert f"You answered our mail about INC-{first}, which was already finished" in text
    assert html is not None and f"You answered our mail about INC-{first}" in html


def test_an_out_of_office_reply_is_kept_but_reopens_nothing_and_sends_nothing(db: Database, intake: Intake) -> None:
    first = ask(intake)
    resolved_days_ago(db, first, 1)
    with db.read() as session:
        before = session.query(OutboxMessage).count()
    assert answer(intake, first, auto_submitted=True) == first
    assert status(db, first) == "resolved"
    with db.read() as session:
        assert session.query(OutboxMessage).count() == before


def test_a_reply_to_a_merged_duplicate_lands_in_the_survivor(db: Database, intake: Intake) -> None:
    duplicate = ask(intake)
    survivor = ask(intake, 2)
    triage.merge(db, duplicate, survivor, AGENT, MAIL)
    assert answer(intake, duplicate) == survivor


def tagged_reply(intake: Intake, incident_id: int, sender: str) -> int | None:
    """A reply that names the incident only by its subject tag (no Message-ID references)."""
    event = InboundEvent(source="email", title=f"Re: [INC-{incident_id}] VPN drops", requester=sender,
                         message_id=f"<{sender}@example.org>", thread_ref=incident_id)  # fmt: skip
    return intake.record(RAW, event).incident_id


def test_a_subject_tag_from_someone_mailed_about_the_incident_threads_in(db: Database, intake: Intake) -> None:
    incident_id = ask(intake)
    with db.transaction() as session:
        create_user(session, email="bob@example.com", password="long enough", role="agent")
    triage.assign(db, incident_id, "bob@example.com", AGENT, MAIL)  # bob is mailed: now a participant
    assert tagged_reply(intake, incident_id, "bob@example.com") == incident_id


def test_a_subject_tag_from_a_stranger_opens_a_new_incident(db: Database, intake: Intake) -> None:
    incident_id = ask(intake)
    assert tagged_reply(intake, incident_id, "eve@evil.example") != incident_id


def replied_notices(db: Database, incident_id: int) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == incident_id,
                                                           OutboxMessage.kind == "requester_replied"))  # fmt: skip
        return sorted((row.recipient, row.subject) for row in rows)


def assigned_and_watched(db: Database, intake: Intake) -> int:
    with db.transaction() as session:
        for email in ("bob@example.com", "carol@example.com"):
            create_user(session, email=email, password="correct horse", role="agent")
    incident_id = ask(intake)
    triage.assign(db, incident_id, "bob@example.com", AGENT, MAIL)
    triage.watch(db, incident_id, AGENT, email="carol@example.com")
    return incident_id


def test_the_assignee_and_watchers_hear_what_the_requester_replied(db: Database, intake: Intake) -> None:
    incident_id = assigned_and_watched(db, intake)
    answer(intake, incident_id, description="Still dropping, every 40 minutes now.\n\n> On Monday you wrote: ...")
    subject = f"[INC-{incident_id}] ann@example.org replied: VPN drops"
    assert replied_notices(db, incident_id) == [("bob@example.com", subject), ("carol@example.com", subject)]
    with db.read() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "requester_replied")).first()
    assert told is not None
    assert "Still dropping, every 40 minutes now." in body_of(told)[0]


def test_the_notice_quotes_the_newest_text_without_the_history_below_it(db: Database, intake: Intake) -> None:
    incident_id = assigned_and_watched(db, intake)
    reply = ("Still dropping, every 40 minutes now.\n\nOn Mon, 23 Nov 2026 at 09:12, Service desk "
             "<helpdesk@example.com> wrote:\n> We have received your request and opened INC-1.\n")  # fmt: skip
    answer(intake, incident_id, description=reply)
    with db.read() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "requester_replied")).first()
    assert told is not None
    text = body_of(told)[0]
    assert "Still dropping, every 40 minutes now." in text and "We have received your request" not in text


def test_an_out_of_office_reply_tells_no_one(db: Database, intake: Intake) -> None:
    incident_id = assigned_and_watched(db, intake)
    answer(intake, incident_id, description="I am away until Monday.", auto_submitted=True)
    assert replied_notices(db, incident_id) == []


def test_a_reply_that_reopens_is_told_once_as_the_reopening(db: Database, intake: Intake) -> None:
    incident_id = assigned_and_watched(db, intake)
    resolved_days_ago(db, incident_id, 1)
    answer(intake, incident_id, description="It is back.")
    assert replied_notices(db, incident_id) == []
    with db.read() as session:
        kinds = list(session.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == "reopened")))
    assert kinds == ["reopened", "reopened"]  # the assignee and the watcher


def test_the_reopened_mail_quotes_what_the_requester_wrote(db: Database, intake: Intake) -> None:
    incident_id = assigned_and_watched(db, intake)
    resolved_days_ago(db, incident_id, 1)
    answer(intake, incident_id, description="It is back, on page two now.\n\nOn Mon, Service desk wrote:\n> Fixed.\n")
    with db.read() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reopened")).first()
    assert told is not None
    text, html = body_of(told)
    assert "It is back, on page two now." in text and "> Fixed." not in text
    assert html is not None and "It is back, on page two now." in html


def test_a_long_reply_is_quoted_in_part(db: Database, intake: Intake) -> None:
    incident_id = assigned_and_watched(db, intake)
    answer(intake, incident_id, description="x" * 5000)
    with db.read() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "requester_replied")).first()
    assert told is not None and "x" * 1500 + " …" in body_of(told)[0] and "x" * 1501 not in body_of(told)[0]


def timeline(db: Database, incident_id: int) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id)))


def test_a_thank_you_after_the_resolution_is_recorded_and_reopens_nothing(db: Database, intake: Intake) -> None:
    first = ask(intake)
    resolved_days_ago(db, first, 1)
    with db.read() as session:
        before = session.query(OutboxMessage).count()
    assert answer(intake, first, description="Thanks, works now!\n\nOn Monday Desk wrote:\n> Resolved.") == first
    assert status(db, first) == "resolved"
    assert "Thanks from ann@example.org: Re: VPN drops" in timeline(db, first)
    with db.read() as session:
        assert session.query(OutboxMessage).count() == before


def test_a_thank_you_long_after_the_resolution_opens_no_follow_up(db: Database, intake: Intake) -> None:
    first = ask(intake)
    resolved_days_ago(db, first, 10)
    assert answer(intake, first, description="Vielen Dank!") == first
    assert status(db, first) == "resolved"


def test_thanks_with_more_to_say_reopens_as_any_reply(db: Database, intake: Intake) -> None:
    first = ask(intake)
    resolved_days_ago(db, first, 1)
    assert answer(intake, first, description="Thanks, but it broke again this morning.") == first
    assert status(db, first) == "open"


def test_thanks_with_a_file_attached_reopens(db: Database, intake: Intake) -> None:
    first = ask(intake)
    resolved_days_ago(db, first, 1)
    screenshot = AttachmentInfo("screen.png", "image/png", 10, "0" * 64, stored=False, note="not stored: test")
    assert answer(intake, first, description="Thanks!", mail=MailFacts(attachments=(screenshot,))) == first
    assert status(db, first) == "open"
