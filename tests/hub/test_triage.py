"""Agent actions on incidents: status changes, assignment, notes, replies and merges, each one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub import incident_notes, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail, TriageError
from hub.catalogue import Targets, add_policy
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import INCIDENT_STATUSES, OPEN_STATUSES, Incident, OutboxMessage, TimelineEntry, User
from hub.outbox import body_of
from hub.triage import next_status

AGENT = Actor("agent@example.com")
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
ALERT_RAW = Raw(source="generic", content_type="application/json", body=b"{}")


def open_alert(intake: Intake, key: str = "disk-db1") -> int:
    outcome = intake.record(ALERT_RAW, InboundEvent(source="generic", title="Disk full", dedup_key=key))
    assert outcome.incident_id is not None
    return outcome.incident_id


def open_email(intake: Intake, requester: str = "ann@example.org", message_id: str = "<m1@example.org>") -> int:
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nbroken")
    event = InboundEvent(source="email", title="Printer is broken", requester=requester, message_id=message_id)
    outcome = intake.record(raw, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def incident(db: Database, incident_id: int) -> Incident:
    with db.read() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


def timeline(db: Database, incident_id: int) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(
            select(TimelineEntry.kind, TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id)
        )
        return [(kind, summary) for kind, summary in rows]


def outbox(db: Database, incident_id: int) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == incident_id)))


def test_every_status_an_incident_can_reach_or_leave_is_one_the_list_names_and_no_other() -> None:
    """INCIDENT_STATUSES is what the status filter offers and what the dashboard names to read through its index: a
    status missing from it would silently drop out of both."""
    reached = {status for starts, to in triage.TRANSITIONS.values() for status in (*starts, to)}
    assert reached == set(INCIDENT_STATUSES) and set(OPEN_STATUSES) <= reached


def test_status_table_allows_the_itil_lifecycle() -> None:
    assert next_status("open", "acknowledge") == "acknowledged"
    assert next_status("acknowledged", "resolve") == "resolved"
    assert next_status("resolved", "close") == "closed"
    assert next_status("closed", "reopen") == "open"


@pytest.mark.parametrize(
    ("current", "action"),
    [("acknowledged", "acknowledge"), ("resolved", "resolve"), ("open", "close"), ("open", "reopen")],
)
def test_status_table_refuses_moves_that_make_no_sense_and_says_why(current: str, action: str) -> None:
    with pytest.raises(TriageError, match=f"INC-9 is {current}; only"):
        next_status(current, action, "INC-9")


@pytest.mark.parametrize(
    ("current", "action", "step"),
    [("waiting", "close", "resolve"), ("waiting", "acknowledge", "resume"), ("closed", "resolve", "reopen"),
     ("acknowledged", "acknowledge", None), ("open", "reopen", None), ("open", "resume", None)],
)  # fmt: skip
def test_a_refused_move_names_the_one_to_make_first_where_there_is_one(
    current: str, action: str, step: str | None
) -> None:
    with pytest.raises(TriageError) as refused:
        next_status(current, action, "INC-9")
    said = str(refused.value)
    assert said.endswith(f": {step} it first") if step else not said.endswith("it first")


def test_acknowledging_records_who_and_when(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    assert triage.change_status(db, incident_id, "acknowledge", AGENT, MAIL) == "acknowledged"
    found = incident(db, incident_id)
    assert found.status == "acknowledged" and found.acknowledged_at is not None
    assert ("acknowledged", "Acknowledged by agent@example.com") in timeline(db, incident_id)


def test_resolving_sets_resolved_at_and_reopening_clears_it(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    assert incident(db, incident_id).resolved_at is not None
    triage.change_status(db, incident_id, "reopen", AGENT, MAIL)
    found = incident(db, incident_id)
    assert (found.status, found.resolved_at) == ("open", None)


def test_reopening_is_refused_while_another_incident_holds_the_dedup_key(db: Database, intake: Intake) -> None:
    first = open_alert(intake)
    triage.change_status(db, first, "resolve", AGENT, MAIL)
    second = open_alert(intake)
    assert second != first
    with pytest.raises(TriageError, match=f"INC-{second} is open with the same dedup key"):
        triage.change_status(db, first, "reopen", AGENT, MAIL)
    assert incident(db, first).status == "resolved"


def test_assigning_to_a_person_notifies_them(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        create_user(session, email="bob@example.com", password="correct horse battery", role="agent")
    incident_id = open_alert(intake)
    triage.assign(db, incident_id, "Bob@Example.com", AGENT, MAIL)
    assert incident(db, incident_id).assignee == "bob@example.com"
    mails = [m for m in outbox(db, incident_id) if m.recipient == "bob@example.com"]
    assert [m.kind for m in mails] == ["assigned"]


def test_assigning_to_an_unknown_person_is_refused(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    with pytest.raises(TriageError, match=r"nobody@example\.com is not an active user"):
        triage.assign(db, incident_id, "nobody@example.com", AGENT, MAIL)


def test_assigning_to_a_group_sends_no_mail(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    before = len(outbox(db, incident_id))
    triage.assign(db, incident_id, "network-team", AGENT, MAIL)
    assert incident(db, incident_id).assignee == "network-team"
    assert len(outbox(db, incident_id)) == before


def test_priority_change_is_on_the_timeline(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    old = incident(db, incident_id).priority
    triage.set_priority(db, incident_id, 1 if old != 1 else 2, AGENT)
    assert any(kind == "priority" and f"P{old} →" in summary for kind, summary in timeline(db, incident_id))


def test_priority_outside_one_to_five_is_refused(db: Database, intake: Intake) -> None:
    with pytest.raises(TriageError, match="priority must be 1"):
        triage.set_priority(db, open_alert(intake), 9, AGENT)


def test_recategorising_corrects_the_rules_guess_on_the_timeline(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    assert triage.categorise(db, incident_id, AGENT, category=" Network ", service="VPN")
    assert (incident(db, incident_id).category, incident(db, incident_id).service) == ("Network", "VPN")
    assert ("categorised", "Category general → Network; service — → VPN by agent@example.com") in timeline(
        db, incident_id
    )


def test_recategorising_leaves_out_what_it_is_not_given_and_blank_clears(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    triage.categorise(db, incident_id, AGENT, category="network", service="VPN")
    triage.categorise(db, incident_id, AGENT, service="  ")
    assert (incident(db, incident_id).category, incident(db, incident_id).service) == ("network", None)


def test_recategorising_to_what_it_already_is_changes_nothing(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    before = timeline(db, incident_id)
    assert not triage.categorise(db, incident_id, AGENT, category="general")
    assert timeline(db, incident_id) == before


def test_a_category_too_long_for_its_column_is_refused(db: Database, intake: Intake) -> None:
    with pytest.raises(TriageError, match="the category is 101 characters long; at most 100 fit"):
        triage.categorise(db, open_alert(intake), AGENT, category="x" * 101)


def test_a_category_with_a_control_character_is_refused(db: Database, intake: Intake) -> None:
    with pytest.raises(TriageError, match="the service must be one line of text, without control characters"):
        triage.categorise(db, open_alert(intake), AGENT, service="VPN\x00")


def test_recategorising_re_plans_the_sla_under_the_policy_for_the_new_category(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    priority = incident(db, incident_id).priority
    with db.transaction() as session:
        add_policy(session, name="Network P-any", priority=priority, targets=Targets(resolution=timedelta(hours=4)),
                   category="network")  # fmt: skip
    triage.categorise(db, incident_id, AGENT, category="network")
    assert ("sla", "SLA re-planned under Network P-any") in timeline(db, incident_id)
    assert incident(db, incident_id).sla_policy_id is not None


def test_resolving_with_a_resolution_keeps_it_and_tells_the_requester_how(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution="  Replaced the toner.\n")
    assert incident(db, incident_id).resolution == "Replaced the toner."
    (told,) = [m for m in outbox(db, incident_id) if m.kind == "resolved"]
    assert told.recipient == "ann@example.org"
    assert "How it was resolved:\n\nReplaced the toner.\n" in body_of(told)[0]


def test_the_assignee_is_told_how_it_was_resolved_too(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        create_user(session, email="bob@example.com", password="correct horse", role="agent")
    incident_id = open_alert(intake)
    triage.assign(db, incident_id, "bob@example.com", AGENT, MAIL)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution="Freed 40 GB of old logs.")
    (told,) = [m for m in outbox(db, incident_id) if m.kind == "resolved"]
    assert told.recipient == "bob@example.com" and "Freed 40 GB of old logs." in body_of(told)[0]


def test_a_blank_resolution_is_none_and_the_mail_says_nothing_of_how(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution="   ")
    assert incident(db, incident_id).resolution is None
    (told,) = [m for m in outbox(db, incident_id) if m.kind == "resolved"]
    assert "How it was resolved" not in body_of(told)[0]


def test_reopening_clears_the_resolution_that_did_not_hold(db: Database, intake: Intake) -> None:
    incident_id = open_alert(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution="Restarted the service.")
    triage.change_status(db, incident_id, "reopen", AGENT, MAIL)
    assert incident(db, incident_id).resolution is None
    with db.read() as session:  # what was tried stays on the timeline
        resolved = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "resolved")).one()
    assert resolved.data["resolution"] == "Restarted the service."


def test_a_resolution_with_any_other_action_is_refused(db: Database, intake: Intake) -> None:
    with pytest.raises(TriageError, match="a resolution goes with resolving"):
        triage.change_status(db, open_alert(intake), "acknowledge", AGENT, MAIL, resolution="Restarted it.")


def test_a_new_title_keeps_the_old_one_on_the_timeline(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    assert triage.retitle(db, incident_id, "  Printer on floor 3 jams on every page ", AGENT)
    assert incident(db, incident_id).title == "Printer on floor 3 jams on every page"
    with db.read() as session:
        changed = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "retitled")).one()
    assert changed.summary == "Title changed by agent@example.com"
    assert (changed.data["from"], changed.data["to"]) == ("Printer is broken", "Printer on floor 3 jams on every page")
    assert not triage.retitle(db, incident_id, "Printer on floor 3 jams on every page", AGENT)  # the same: no entry


@pytest.mark.parametrize(
    ("title", "why"),
    [("  ", "the title is empty"), ("x" * 501, "at most 500 fit"), ("Two\nlines", "one line of text")],
)
def test_a_title_empty_too_long_or_on_two_lines_is_refused(db: Database, intake: Intake, title: str, why: str) -> None:
    incident_id = open_alert(intake)
    with pytest.raises(TriageError, match=why):
        triage.retitle(db, incident_id, title, AGENT)
    assert incident(db, incident_id).title == "Disk full"


def test_a_note_is_internal_and_mails_nobody(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    before = len(outbox(db, incident_id))
    incident_notes.add_note(db, incident_id, "Checked the toner.", AGENT)
    assert ("note", "Note by agent@example.com") in timeline(db, incident_id)
    assert len(outbox(db, incident_id)) == before


def test_a_mention_mail_names_the_writer_by_their_display_name(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        create_user(session, email="bob@example.com", password="correct horse", role="agent")
        create_user(session, email=AGENT.name, password="correct horse", role="agent", display_name="Ann Lee")
    incident_id = open_email(intake)
    incident_notes.add_note(db, incident_id, "@bob the vendor says Tuesday.", AGENT, MAIL)
    [mailed] = [m for m in outbox(db, incident_id) if m.kind == "mentioned"]
    assert mailed.subject == f"[INC-{incident_id}] Ann Lee ({AGENT.name}) mentioned you: Printer is broken"


def test_a_note_mails_the_colleagues_it_mentions_and_no_one_else(db: Database, intake: Intake) -> None:
    for email in ("bob@example.com", "carol@example.com", AGENT.name):
        with db.transaction() as session:
            create_user(session, email=email, password="correct horse", role="agent")
    incident_id = open_email(intake)
    before = {m.id for m in outbox(db, incident_id)}
    said = incident_notes.add_note(db, incident_id, "@bob, @carol@example.com: the vendor says Tuesday.", AGENT, MAIL)
    assert said.people == ("bob@example.com", "carol@example.com")
    mailed = [m for m in outbox(db, incident_id) if m.id not in before]
    assert sorted(m.recipient for m in mailed) == ["bob@example.com", "carol@example.com"]
    assert {m.kind for m in mailed} == {"mentioned"}
    assert mailed[0].subject == f"[INC-{incident_id}] agent@example.com mentioned you: Printer is broken"
    assert "the vendor says Tuesday." in body_of(mailed[0])[0]
    summary = "Note by agent@example.com, mentioning bob@example.com, carol@example.com"
    assert ("note", summary) in timeline(db, incident_id)


def test_a_note_that_mentions_its_writer_mails_no_one(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        create_user(session, email=AGENT.name, password="correct horse", role="agent")
    incident_id = open_email(intake)
    before = len(outbox(db, incident_id))
    assert incident_notes.add_note(db, incident_id, "Reminder for @agent: call back.", AGENT, MAIL).people == ()
    assert len(outbox(db, incident_id)) == before


def test_names_that_match_no_active_user_are_said_back_and_mail_no_one(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        create_user(session, email="ann@a.example", password="correct horse", role="agent")
        create_user(session, email="ann@b.example", password="correct horse", role="agent")
        create_user(session, email="gone@example.com", password="correct horse", role="agent")
        triage_user = session.scalars(select(User).where(User.email == "gone@example.com")).one()
        triage_user.active = False
    incident_id = open_email(intake, requester="ann@example.org")
    before = len(outbox(db, incident_id))
    said = incident_notes.add_note(db, incident_id, "@ann @gone @ann@example.org @nobody", AGENT, MAIL)
    assert said.people == () and said.ambiguous == ("ann",)
    assert said.unknown == ("gone", "ann@example.org", "nobody")  # not the requester either: notes stay inside
    assert len(outbox(db, incident_id)) == before


def test_an_empty_note_is_refused(db: Database, intake: Intake) -> None:
    with pytest.raises(TriageError, match="the note is empty"):
        incident_notes.add_note(db, open_alert(intake), "   ", AGENT)


def test_a_reply_mails_the_requester_threaded_under_their_message(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    assert incident_notes.reply(db, incident_id, "Try turning it off and on.", AGENT, MAIL) == "ann@example.org"
    reply = next(m for m in outbox(db, incident_id) if m.kind == "reply")
    assert reply.recipient == "ann@example.org"
    assert reply.subject == f"[INC-{incident_id}] Re: Printer is broken"
    assert "<m1@example.org>" in reply.headers["References"]
    assert reply.headers["In-Reply-To"] != "<m1@example.org>"  # our acknowledgement came after it
    assert "Auto-Submitted" not in reply.headers  # a person wrote it
    assert "Try turning it off and on." in body_of(reply)[0]


def test_a_reply_threads_under_the_requesters_conversation_and_not_under_mail_to_colleagues(
    db: Database, intake: Intake
) -> None:
    with db.transaction() as session:
        create_user(session, email="bob@example.com", password="correct horse", role="agent")
    incident_id = open_email(intake)
    [ack] = [m for m in outbox(db, incident_id) if m.kind == "acknowledgement"]
    incident_notes.add_note(db, incident_id, "@bob any idea?", AGENT, MAIL)
    [mention] = [m for m in outbox(db, incident_id) if m.recipient == "bob@example.com"]
    incident_notes.reply(db, incident_id, "Try turning it off and on.", AGENT, MAIL)
    reply = next(m for m in outbox(db, incident_id) if m.kind == "reply")
    assert reply.headers["References"] == f"<m1@example.org> {ack.message_id}"
    assert reply.headers["In-Reply-To"] == ack.message_id
    assert mention.message_id not in reply.headers["References"]


def test_a_reply_is_a_first_response(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    incident_notes.reply(db, incident_id, "On it.", AGENT, MAIL)
    found = incident(db, incident_id)
    assert found.status == "acknowledged" and found.acknowledged_at is not None


def test_a_reply_is_not_held_back_by_the_automatic_mail_caps(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    for n in range(12):
        incident_notes.reply(db, incident_id, f"Update {n}", AGENT, MAIL)
    assert sum(1 for m in outbox(db, incident_id) if m.kind == "reply") == 12


def test_an_alert_has_no_requester_to_reply_to(db: Database, intake: Intake) -> None:
    with pytest.raises(TriageError, match="has no requester"):
        incident_notes.reply(db, open_alert(intake), "hello", AGENT, MAIL)


def test_merging_closes_the_duplicate_and_counts_its_occurrences(db: Database, intake: Intake) -> None:
    survivor, duplicate = open_alert(intake, "a"), open_alert(intake, "b")
    triage.merge(db, duplicate, survivor, AGENT, MAIL)
    merged, kept = incident(db, duplicate), incident(db, survivor)
    assert (merged.status, merged.merged_into_id) == ("closed", survivor)
    assert kept.occurrences == 2
    assert any(kind == "merged" for kind, _ in timeline(db, survivor))


def test_merging_into_a_merged_incident_names_the_real_target(db: Database, intake: Intake) -> None:
    a, b, c = open_alert(intake, "a"), open_alert(intake, "b"), open_alert(intake, "c")
    triage.merge(db, b, a, AGENT, MAIL)
    with pytest.raises(TriageError, match=f"merge into INC-{a} instead"):
        triage.merge(db, c, b, AGENT, MAIL)


def test_merging_an_emailed_request_owes_its_requester_where_it_is_followed_now(db: Database, intake: Intake) -> None:
    survivor, duplicate = open_email(intake), open_email(intake, "carol@example.org", "<m2@example.org>")
    triage.merge(db, duplicate, survivor, AGENT, MAIL)
    told = [row for row in outbox(db, duplicate) if row.template == "requester_merged"]
    assert [(row.recipient, row.subject) for row in told] == [
        ("carol@example.org", f"[INC-{duplicate}] Now followed under INC-{survivor}: Printer is broken")
    ]
    assert ("notification", "merged to carol@example.org queued") in timeline(db, duplicate)


def test_merging_an_alert_or_ones_own_request_mails_no_requester(db: Database, intake: Intake) -> None:
    triage.merge(db, open_alert(intake, "b"), open_alert(intake, "a"), AGENT, MAIL)
    own = open_email(intake, AGENT.name, "<m2@example.org>")
    triage.merge(db, own, open_email(intake), AGENT, MAIL)  # the agent merging is told by the page
    with db.read() as session:
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.template == "requester_merged")).all() == []


def test_merging_a_request_no_one_typed_mails_its_sender_nothing_and_says_why(db: Database, intake: Intake) -> None:
    """As the desk did not acknowledge it: an out-of-office that opened a request is answered nothing."""
    away = InboundEvent(source="email", title="Away until Monday", requester="carol@example.org",
                        message_id="<m2@example.org>", auto_submitted=True)  # fmt: skip
    duplicate = intake.record(Raw(source="email", content_type="message/rfc822", body=b"x"), away).incident_id
    assert duplicate is not None
    triage.merge(db, duplicate, open_email(intake), AGENT, MAIL)
    assert outbox(db, duplicate) == []
    assert ("notification", "No mail to carol@example.org about the merge: the mail that opened this was sent "
            "automatically (no one typed it), so the desk answers it nothing") in timeline(db, duplicate)  # fmt: skip


def test_an_unknown_incident_is_named_in_the_error(db: Database) -> None:
    with pytest.raises(TriageError, match="there is no incident INC-404"):
        incident_notes.add_note(db, 404, "x", AGENT)


def test_waiting_on_the_requester_and_resuming(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    triage.change_status(db, incident_id, "acknowledge", AGENT, MAIL)
    assert triage.change_status(db, incident_id, "wait", AGENT, MAIL) == "waiting"
    assert incident(db, incident_id).status == "waiting"
    assert triage.change_status(db, incident_id, "resume", AGENT, MAIL) == "acknowledged"
    assert incident(db, incident_id).status == "acknowledged"


def test_a_waiting_incident_can_be_resolved(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    triage.change_status(db, incident_id, "wait", AGENT, MAIL)
    assert triage.change_status(db, incident_id, "resolve", AGENT, MAIL) == "resolved"


def test_a_reply_threads_under_the_requesters_own_mail_and_not_under_their_out_of_office(
    db: Database, intake: Intake
) -> None:
    incident_id = open_email(intake)
    [ack] = [m for m in outbox(db, incident_id) if m.kind == "acknowledgement"]
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Out of office\r\n\r\naway")
    away = InboundEvent(source="email", title="Out of office", requester="ann@example.org",
                        message_id="<ooo@example.org>", in_reply_to=(ack.message_id,), auto_submitted=True)  # fmt: skip
    assert intake.record(raw, away).incident_id == incident_id
    incident_notes.reply(db, incident_id, "Try turning it off and on.", AGENT, MAIL)
    reply = next(m for m in outbox(db, incident_id) if m.kind == "reply")
    assert reply.headers["In-Reply-To"] == ack.message_id
    assert "<ooo@example.org>" not in reply.headers["References"]
