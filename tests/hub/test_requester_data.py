"""A requester's data, exported and erased (GDPR articles 15 and 17), after real mail through the SMTP listener, on
SQLite and PostgreSQL. The strongest check reads every column of every table afterwards and looks for the address."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from hub import (
    accounts,
    agent_files,
    article_feedback,
    copied,
    incident_notes,
    knowledge,
    link_mail,
    major_incidents,
    my_requests,
    pending_requests,
    requester_data,
    requester_erasure,
    requester_replies,
    reviews,
    satisfaction,
    status_subscriptions,
    time_spent,
    triage,
)
from hub.addresses import is_pseudonym, pseudonym
from hub.agent_action import Actor, Mail, TriageError
from hub.config import Settings
from hub.db import Database
from hub.errors import BadInput
from hub.intake import Intake
from hub.models import (
    Attachment,
    AuditEntry,
    Base,
    BouncedAddress,
    Event,
    Incident,
    IncidentWatcher,
    OutboxMessage,
    SatisfactionAnswer,
    TimelineEntry,
    utcnow,
)
from hub.pending_requests import Question
from hub.recipients import Sender
from hub.requester_erasure import ERASED, Scrub, quotes
from hub.signed_links import Claim
from ingest import asked
from tests.hub.requester_mail import ANN, DESK, desk_listener, send  # noqa: F401  (the fixture `desk`)
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

KEY = "test-secret-key"
AGENT = Actor("agent@example.com")


def every_place_holding(db: Database, text: str) -> list[str]:
    """`table.column` of every value in the database that contains `text` (any case): text, bytes and JSON."""
    wanted = text.lower()
    found = []
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    elif isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    if isinstance(value, str) and wanted in value.lower():
                        found.append(f"{table.name}.{column}")
    return sorted(set(found))


def ann_everywhere(db: Database, port: int, settings: Settings) -> int:
    """Ann mails the desk (with a file), writes again, is answered, rates it, subscribes and watches; Bob copies
    her in on a mail of his; an agent logs a call to her; she leaves her address under a help article; her incident
    is a major incident whose declaration and review name her; one notice to her is still unsent. Returns her
    incident's id."""
    send(port, "Payslip missing for May", "My payslip for May is not there. Ann, room 4.12")
    with db.read() as session:
        incident_id = session.scalars(select(Incident.id)).one()
    send(port, f"Re: [INC-{incident_id}] Payslip missing for May", "Still missing, phone me on 0123 4567.")
    mail = Mail(DESK, settings.base_url)
    incident_notes.reply(db, incident_id, "We are looking into it, Ann.", AGENT, mail)
    send(port, "Printer", "Ann (ann.example@example.com) cannot print either.", sender="bob@example.org", cc=ANN)
    with db.transaction() as session:
        session.execute(insert(IncidentWatcher).values(incident_id=incident_id, email=ANN))
        session.execute(insert(BouncedAddress).values(address=ANN, until=utcnow(), reason=f"550 {ANN} full"))
        status_subscriptions.ask(session, ANN.upper(), Sender(DESK, settings.base_url, secret_key=KEY), utcnow())
    with db.transaction() as session:
        time_spent.record(session, incident_id, AGENT.name, time_spent.Spent(10, f"Phoned {ANN} back"))
        article = knowledge.add(session, title="Pay", body="Where to find it.", published=True, by=AGENT.name)
        article_feedback.record(session, article.id, False, f"Not there for May. Write to {ANN.upper()}")
    with db.transaction() as session:
        accounts.create_user(session, email=AGENT.name, password="correct horse battery", role="agent")
    major_incidents.declare(db, incident_id, f"Payroll late for {ANN} and others", AGENT, mail)
    triage.change_status(db, incident_id, "resolve", AGENT, mail)
    reviews.start(db, incident_id, AGENT)
    reviews.save(db, incident_id, {"impact": f"{ANN} was paid a day late"}, AGENT)
    reviews.add_action(db, incident_id, f"Apologise to {ANN}", AGENT, owner=ANN)
    satisfaction.record(db, Claim(incident_id, ANN), "bad", "Took ages, Ann Example")
    with db.transaction() as session:  # the acknowledgement went out; the rest waits
        ack = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == ANN).limit(1)).one()
        ack.status = "sent"
    return incident_id


def test_the_export_holds_her_mail_as_sent_and_the_incident_it_opened(desk: int, db: Database) -> None:
    send(desk, "Payslip missing for May", "My payslip for May is not there.")
    with db.read() as session:
        document = requester_data.export(session, ANN.upper())
    assert document["format"] == requester_data.FORMAT and document["email"] == ANN
    (message,) = document["messages"]
    assert f"From: Ann Example <{ANN}>" in message["raw"] and "My payslip for May" in message["raw"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in message["attachments"]] == [
        ("ann.pdf", "application/pdf", 22)
    ]
    assert [i["title"] for i in document["incidents"]] == ["Payslip missing for May"]
    assert document["contacts"][0]["name"] == "Ann Example"
    json.dumps(document)  # a JSON document as it stands


def test_after_erasure_no_value_in_any_table_holds_the_address(desk: int, db: Database, settings: Settings) -> None:
    ann_everywhere(db, desk, settings)
    assert every_place_holding(db, ANN) != []
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    assert every_place_holding(db, ANN) == []


def test_after_erasure_her_words_are_gone_and_the_desks_record_stays(
    desk: int, db: Database, settings: Settings
) -> None:
    incident_id = ann_everywhere(db, desk, settings)
    assert every_place_holding(db, "0123 4567") != []  # her number was written down, so its absence means erased
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    for words in ("payslip", "room 4.12", "0123 4567", "Took ages", "Ann Example"):
        assert every_place_holding(db, words) == [], words
    with db.read() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and (incident.status, incident.requester) == ("resolved", pseudonym(ANN, KEY))
        assert (incident.title, incident.description) == (ERASED, ERASED)
        answer = session.get(SatisfactionAnswer, incident_id)
        assert answer is not None and (answer.rating, answer.comment) == ("bad", None)
        replies = session.scalars(select(TimelineEntry.data).where(TimelineEntry.kind == "reply")).all()
        assert [r["body"] for r in replies] == ["We are looking into it, Ann."]  # the desk's own words


def test_a_major_incident_and_a_review_that_name_her_are_in_her_export_and_keep_the_pseudonym(
    desk: int, db: Database, settings: Settings
) -> None:
    incident_id = ann_everywhere(db, desk, settings)
    with db.read() as session:
        named = requester_data.export(session, ANN)["mentioned_in"]
    assert (len(named["major_incidents"]), named["reviews"]) == (1, [f"INC-{incident_id}"])
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    with db.read() as session:
        [declared] = major_incidents.declarations(session, incident_id)
        review = reviews.of_incident(session, incident_id)
    alias = pseudonym(ANN, KEY)
    assert declared.reason == f"Payroll late for {alias} and others"
    assert review is not None and review.impact == f"{alias} was paid a day late"
    assert (review.actions[0].text, review.actions[0].owner) == (f"Apologise to {alias}", alias)


def test_another_persons_mail_that_copied_her_in_is_kept_with_the_pseudonym(
    desk: int, db: Database, settings: Settings
) -> None:
    ann_everywhere(db, desk, settings)
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    with db.read() as session:
        (bobs,) = [raw for raw in session.scalars(select(Event.raw)) if b"bob@example.org" in raw]
    assert b"cannot print either" in bobs and f"Cc: {pseudonym(ANN, KEY)}".encode() in bobs


def test_the_conversation_another_person_copied_her_on_is_in_her_export_and_erasure_takes_her_off_it(
    desk: int, db: Database
) -> None:
    send(desk, "Printer", "Ann cannot print either.", sender="bob@example.org", cc=ANN)
    with db.read() as session:
        document = requester_data.export(session, ANN)
        [bobs] = session.scalars(select(Incident.id)).all()
    assert document["copied_on"] == [f"INC-{bobs}"] and document["incidents"] == []
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    with db.read() as session:
        assert copied.copied(session.connection(), bobs) == []


def test_her_files_leave_the_attachment_store(desk: int, db: Database, intake: Intake) -> None:
    send(desk, "Payslip missing for May", "See attached.")
    with db.read() as session:
        (digest,) = requester_data.export(session, ANN)["messages"][0]["attachments"]
    assert intake.files is not None and intake.files.read(digest["sha256"]) is not None
    requester_erasure.erase(db, ANN, key=KEY, actor="cli", files=intake.files)
    assert intake.files.read(digest["sha256"]) is None


def her_incident_answered_with_a_file(db: Database, intake: Intake, settings: Settings, content: bytes) -> int:
    """An agent replies to Ann (whose mail opened the incident) with a file, `content`; returns the file's id."""
    with db.read() as session:
        incident_id = session.scalars(select(Incident.id)).one()
    assert intake.files is not None
    kept = agent_files.keep(intake.files, [agent_files.Upload("new-contract.pdf", content)])
    incident_notes.reply(db, incident_id, "Your contract.", AGENT, Mail(DESK, settings.base_url), files=kept)
    with db.read() as session:
        return session.scalars(select(Attachment.id).where(Attachment.timeline_entry_id.is_not(None))).one()


def test_the_files_of_replies_to_her_are_in_her_export(
    desk: int, db: Database, intake: Intake, settings: Settings
) -> None:
    send(desk, "Contract", "Please send my contract.")
    file_id = her_incident_answered_with_a_file(db, intake, settings, b"%PDF her contract")
    with db.read() as session:
        document = requester_data.export(session, ANN)
        assert requester_data.find(session, ANN).reply_files == (file_id,)
    assert document["counts"]["reply_files"] == 1
    [reply] = [mail for mail in document["mail_to_them"] if mail["kind"] == "reply"]
    assert [(f["filename"], f["size"]) for f in reply["attachments"]] == [("new-contract.pdf", 17)]


def test_erasure_removes_the_files_of_replies_to_her_and_their_bytes(
    desk: int, db: Database, intake: Intake, settings: Settings
) -> None:
    send(desk, "Contract", "Please send my contract.")
    file_id = her_incident_answered_with_a_file(db, intake, settings, b"%PDF her contract")
    assert intake.files is not None
    with db.transaction() as session:
        digest = session.scalars(select(Attachment.sha256).where(Attachment.id == file_id)).one()
        reply = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
        reply.status = "sent"  # its row stays, without naming the file
    requester_erasure.erase(db, ANN, key=KEY, actor="cli", files=intake.files)
    with db.read() as session:
        assert session.get(Attachment, file_id) is None
        assert session.scalars(select(OutboxMessage.attachment_ids).where(OutboxMessage.kind == "reply")).all() == [
            None
        ]
    assert intake.files.read(digest) is None


def test_a_file_of_a_reply_to_her_that_a_note_also_carries_keeps_its_bytes(
    desk: int, db: Database, intake: Intake, settings: Settings
) -> None:
    send(desk, "Contract", "Please send my contract.")
    her_incident_answered_with_a_file(db, intake, settings, b"%PDF the template everyone gets")
    assert intake.files is not None
    with db.read() as session:
        incident_id = session.scalars(select(Incident.id)).one()
    same = agent_files.keep(intake.files, [agent_files.Upload("template.pdf", b"%PDF the template everyone gets")])
    incident_notes.add_note(db, incident_id, "The template we send.", AGENT, files=same)
    requester_erasure.erase(db, ANN, key=KEY, actor="cli", files=intake.files)
    with db.read() as session:
        assert session.scalars(select(Attachment.filename)).all() == ["template.pdf"]
    assert intake.files.read(same[0].sha256) == b"%PDF the template everyone gets"


def test_the_preview_counts_what_erasure_changes_and_changes_nothing(
    desk: int, db: Database, settings: Settings
) -> None:
    ann_everywhere(db, desk, settings)
    with db.read() as session:
        counts = requester_erasure.preview(session, ANN).counts()
    assert every_place_holding(db, ANN) != []
    assert counts["incidents"] == 1 and counts["messages"] == 2 and counts["mentions_in_events"] == 1
    assert requester_erasure.erase(db, ANN, key=KEY, actor="cli").counts == counts


def test_the_erasure_is_audited_with_its_counts_under_the_pseudonym(desk: int, db: Database) -> None:
    send(desk, "VPN", "It drops.")
    erased = requester_erasure.erase(db, ANN, key=KEY, actor="admin@example.com")
    with db.read() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "requester.erase"))
    assert (entry.actor, entry.target) == ("admin@example.com", erased.pseudonym)
    assert entry.detail is not None and entry.detail["messages"] == 1 and entry.detail["incidents"] == 1


def test_unsent_mail_to_her_is_dropped_and_sent_mail_keeps_only_its_row(desk: int, db: Database) -> None:
    send(desk, "VPN", "It drops.")  # owes her an acknowledgement
    with db.transaction() as session:
        first = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == ANN)).one()
        first.status = "sent"
    send(desk, "Printer", "Jammed.")
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    with db.read() as session:
        left = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")).all()
    assert [(m.id, m.recipient, m.body, m.message_id) for m in left] == [(first.id, pseudonym(ANN, KEY), ERASED, None)]


def test_what_she_asked_on_the_help_centre_is_exported_as_hers_and_erased(
    db: Database, settings: Settings, intake: Intake
) -> None:
    sender = Sender(DESK, settings.base_url, secret_key=KEY)
    with db.transaction() as session:
        pending_requests.ask(session, Question(ANN, "Payslip missing", "Ann, room 4.12", None), sender, utcnow())
        later = utcnow() + link_mail.ASK_AGAIN_AFTER + timedelta(minutes=1)
        pending_requests.ask(session, Question(ANN, "Holiday pay", "Never sent, phone 0123 4567"), sender, later)
    sent = asked.confirm(db, intake, Claim(1, ANN))
    with db.read() as session:
        document = requester_data.export(session, ANN.upper())
    assert [r["subject"] for r in document["help_centre_requests"]] == ["Payslip missing", "Holiday pay"]
    assert document["help_centre_requests"][0]["incident"] == f"INC-{sent.incident_id}"
    (message,) = document["messages"]  # what she sent is her message, as a mail would be
    assert '"subject": "Payslip missing"' in message["raw"] and document["counts"]["mentions_in_events"] == 0
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    for words in (ANN, "payslip", "room 4.12", "holiday pay", "0123 4567"):
        assert every_place_holding(db, words) == [], words
    with db.read() as session:
        incident = session.get(Incident, sent.incident_id)
        assert incident is not None and (incident.title, incident.description) == (ERASED, ERASED)


def test_the_link_to_her_list_of_requests_is_exported_and_after_erasure_her_address_lists_nothing(
    desk: int, db: Database, settings: Settings
) -> None:
    send(desk, "VPN", "It drops.")
    with db.transaction() as session:
        assert my_requests.ask(session, ANN, Sender(DESK, settings.base_url, secret_key=KEY), utcnow())
    with db.read() as session:
        document = requester_data.export(session, ANN)
        assert [r.title for r in my_requests.listing(session, Claim(0, ANN), utcnow()).requests] == ["VPN"]
    assert my_requests.KIND in [mail["kind"] for mail in document["mail_to_them"]]
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    with db.read() as session:
        assert my_requests.listing(session, Claim(0, ANN), utcnow()) == my_requests.Listing(ANN, (), 0)
    assert every_place_holding(db, ANN) == []


def test_her_reply_to_old_mail_after_erasure_is_a_new_request(desk: int, db: Database) -> None:
    first = send(desk, "VPN", "It drops.")
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    send(desk, "Re: [INC-1] VPN", "Again.", In_Reply_To=first)
    with db.read() as session:
        requesters = session.scalars(select(Incident.requester).order_by(Incident.id)).all()
    assert requesters == [pseudonym(ANN, KEY), ANN]


def test_an_erased_requester_is_not_mailed_the_resolution(desk: int, db: Database, settings: Settings) -> None:
    send(desk, "VPN", "It drops.")
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    triage.change_status(db, 1, "resolve", AGENT, Mail(DESK, settings.base_url))
    with db.read() as session:
        assert [r for r in session.scalars(select(OutboxMessage.recipient)) if is_pseudonym(r)] == []


def test_an_agent_cannot_reply_to_an_erased_requester(desk: int, db: Database, settings: Settings) -> None:
    send(desk, "VPN", "It drops.")
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    with pytest.raises(TriageError, match="asked to be erased"):
        incident_notes.reply(db, 1, "Hello?", AGENT, Mail(DESK, settings.base_url))


def test_a_users_address_is_not_erased(db: Database) -> None:
    from hub import accounts

    with db.transaction() as session:
        accounts.create_user(session, email="agent@example.com", password="p4ssw0rd!", role="agent")
    with pytest.raises(BadInput, match="is a Switchboard user"):
        requester_erasure.erase(db, "Agent@Example.com", key=KEY, actor="cli")


def test_something_that_is_not_one_address_is_refused(db: Database) -> None:
    with db.read() as session, pytest.raises(BadInput, match="is not an email address"):
        requester_data.find(session, "ann@example.com, bob@example.org")


def test_nothing_held_is_an_empty_holding(db: Database) -> None:
    with db.read() as session:
        assert requester_data.find(session, ANN).empty


def test_the_pseudonym_is_stable_for_an_address_in_any_case_and_depends_on_the_key() -> None:
    assert pseudonym(ANN, KEY) == pseudonym(ANN.upper(), KEY) != pseudonym(ANN, "another key")
    assert pseudonym(ANN, KEY).endswith("@invalid") and is_pseudonym(pseudonym(ANN, KEY))


def test_scrubbing_replaces_the_address_in_any_case_in_text_bytes_and_json_keys() -> None:
    scrub = Scrub(ANN, "x@invalid")
    assert scrub.text(f"Reply from {ANN.upper()}: hi") == "Reply from x@invalid: hi"
    assert scrub.raw(f"Cc: <{ANN}>".encode()) == b"Cc: <x@invalid>"
    assert scrub.json({ANN: [f"to {ANN}", 3]}) == {"x@invalid": ["to x@invalid", 3]}


@pytest.mark.parametrize(
    ("title", "subject", "quoted"),
    [
        ("Payslip missing", "Payslip missing", True),
        ("HR: Payslip missing", "Payslip  missing", True),  # a rule's template around it
        ("Payroll request", "Payslip missing", False),  # the rules' own words
        ("Payroll request", "", False),
    ],
)
def test_a_title_is_erased_only_when_it_quotes_her_subject(title: str, subject: str, quoted: bool) -> None:
    assert quotes(title, " ".join(subject.split())) is quoted


def test_export_as_json_is_readable_text() -> None:
    assert requester_data.as_json({"email": "é@example.com"}) == '{\n  "email": "é@example.com"\n}\n'


def test_her_reply_from_her_requests_page_is_exported_as_hers_and_erased(
    db: Database, settings: Settings, intake: Intake
) -> None:
    incident_id = pending_request_of_ann(db, settings, intake)
    requester_replies.send(intake, ANN, incident_id, "Payslip missing", "Still missing, phone 0123 4567")
    with db.read() as session:
        document = requester_data.export(session, ANN)
    assert "Still missing, phone 0123 4567" in document["messages"][-1]["raw"]  # hers, as her mail would be
    requester_erasure.erase(db, ANN, key=KEY, actor="cli")
    assert every_place_holding(db, "0123 4567") == []


def pending_request_of_ann(db: Database, settings: Settings, intake: Intake) -> int:
    """Ann's request, sent from the help centre; its incident's id."""
    with db.transaction() as session:
        pending_requests.ask(session, Question(ANN, "Payslip missing", "Ann, room 4.12", None),
                             Sender(DESK, settings.base_url, secret_key=KEY), utcnow())  # fmt: skip
    sent = asked.confirm(db, intake, Claim(1, ANN))
    assert sent.incident_id is not None
    return sent.incident_id
