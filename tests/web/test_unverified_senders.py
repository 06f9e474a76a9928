"""A forged From, through the desk's real SMTP listener: the receiving server's `dmarc=fail` is believed from the
configured authserv-id, and such mail is kept and shown with a warning but acts for no one. An SPF softfail is
unverified but not forged: it acts as the sender's, but the desk mails the address nothing of its own accord."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from dataclasses import replace
from email import policy
from email.message import EmailMessage

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.mail_templates import DEFAULTS
from hub.models import Contact, Incident, Organisation, OutboxMessage, TimelineEntry
from hub.net import free_port
from hub.rulebook import add_rule
from ingest.pipeline import make_intake
from ingest.smtp import make_controller
from rules import rules_file
from tests.docs import fenced
from tests.web.helpers import Login

MX = "mx.example.com"
DESK = "helpdesk@localhost"
CEO = "ceo@example.com"
AGENT, MAIL = Actor("agent@example.com"), Mail(DESK, "http://desk")
WARNING = f"Sender not verified: DMARC failed for example.com — the mail may not be from {CEO}"
SOFT_WARNING = f"Sender not verified: SPF soft-failed for example.com — the mail may not be from {CEO}"


@pytest.fixture
def desk(settings: Settings, db: Database) -> Iterator[Callable[..., int]]:
    """Start the desk's SMTP listener on a free loopback port, believing `authserv_id`'s verdicts (None: none)."""
    started = []

    def start(authserv_id: str | None = MX) -> int:
        intake = make_intake(replace(settings, mail_authserv_id=authserv_id), db)
        controller = make_controller(settings, intake, port=free_port())
        controller.start()
        started.append(controller)
        return int(controller.port)

    yield start
    for controller in started:
        controller.stop()


def send(
    port: int, subject: str, body: str, *, dmarc: str | None = None, spf: str | None = None,
    name: str = "Chief Executive", address: str = CEO,
) -> bytes:  # fmt: skip
    """Mail the desk as the CEO (or `name` at `address`), with the receiving server's verdict on top: DMARC's
    (`dmarc`), or for a domain with no DMARC record and unsigned mail, SPF's (`spf`); returns the reply to DATA."""
    msg = EmailMessage()
    if dmarc is not None:
        domain = address.rpartition("@")[2]
        msg["Authentication-Results"] = f"{MX}; dmarc={dmarc} (p=reject dis=none) header.from={domain}"
    elif spf is not None:
        msg["Authentication-Results"] = f"{MX}; spf={spf} smtp.mailfrom={address}; dkim=none; dmarc=none"
    msg["Received"] = "from relay.example.net (relay.example.net [198.51.100.23]) by mx.example.com (Postfix)"
    msg["From"], msg["To"], msg["Subject"] = f"{name} <{address}>" if name else address, DESK, subject
    msg["Message-ID"] = f"<{abs(hash((subject, body, dmarc, spf, name, address)))}@relay.example.net>"
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail(address)
        client.rcpt(DESK)
        code, reply = client.data(msg.as_bytes(policy=policy.SMTP))
    assert code == 250, reply  # nothing is refused: the mail is kept whatever its verdict
    return bytes(reply)


def incident(db: Database, incident_id: int = 1) -> Incident:
    with db.read() as session:
        return session.get_one(Incident, incident_id)


def acknowledgements(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "acknowledgement")))


def replies_told(db: Database) -> int:
    return len(reply_notices(db))


def reply_notices(db: Database) -> list[OutboxMessage]:
    """The mail owed to the assignee and watchers because the requester replied."""
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "requester_replied")))


def mailed_text(told: list[OutboxMessage]) -> tuple[str, str | None]:
    """The one notice's plain-text and HTML bodies, as the worker renders them from its facts."""
    [notice] = told
    assert notice.facts is not None
    return DEFAULTS.render_body(notice.kind, notice.facts)


def timeline_entry(db: Database, kind: str) -> TimelineEntry:
    """The one timeline entry of `kind` there is."""
    with db.read() as session:
        return session.scalars(select(TimelineEntry).where(TimelineEntry.kind == kind)).one()


def verified_request(
    desk: Callable[..., int], db: Database, status: str | None = None, *, assignee: str | None = None
) -> int:
    """INC-1 opened by a verified mail from the CEO, assigned to `assignee` and then given `status` (`resolve`,
    `wait`) where they are named; the desk's port, for the replies."""
    port = desk()
    send(port, "Password reset", "I cannot log in.", dmarc="pass")
    if assignee is not None:
        triage.assign(db, 1, assignee, AGENT, MAIL)
    if status is not None:
        triage.change_status(db, 1, status, AGENT, MAIL)
    return port


def test_a_reply_failing_dmarc_threads_in_with_a_warning_on_the_incident_page(
    desk: Callable[..., int], db: Database, logged_in: FlaskClient
) -> None:
    port = verified_request(desk, db)
    assert b"INC-1" in send(port, "Re: [INC-1] Password reset", "Send the new one to ceo.private@example.net.",
                            dmarc="fail")  # fmt: skip
    entry = timeline_entry(db, "email")
    assert entry.incident_id == 1 and entry.summary.startswith(f"Reply from {CEO} (sender not verified): ")
    assert entry.data is not None and entry.data["sender_check"]["verdict"] == "fail"
    page = logged_in.get("/incidents/INC-1").get_data(as_text=True)
    assert page.count(WARNING) == 1 and "Send the new one to ceo.private@example.net." in page


def test_a_reply_failing_dmarc_does_not_reopen_a_resolved_incident(desk: Callable[..., int], db: Database) -> None:
    port = verified_request(desk, db, "resolve")
    assert b"INC-1" in send(port, "Re: [INC-1] Password reset", "Not fixed, reopen it.", dmarc="fail")
    assert incident(db).status == "resolved"


def test_a_reply_failing_dmarc_neither_tells_the_assignee_nor_ends_the_wait_for_the_requester(
    desk: Callable[..., int], db: Database, user: Login
) -> None:
    port = verified_request(desk, db, "wait", assignee=user.email)
    send(port, "Re: [INC-1] Password reset", "Here is what you asked for.", dmarc="fail")
    assert (incident(db).status, replies_told(db)) == ("waiting", 0)
    send(port, "Re: [INC-1] Password reset", "Here it is, really from me.", dmarc="pass")
    assert (incident(db).status, replies_told(db)) == ("open", 1)


def test_a_new_mail_failing_dmarc_opens_an_incident_with_no_acknowledgement_to_the_claimed_address(
    desk: Callable[..., int], db: Database, logged_in: FlaskClient
) -> None:
    assert b"Accepted as INC-1" in send(desk(), "New laptop for me today", "To my home address.", dmarc="fail")
    assert acknowledgements(db) == []
    assert timeline_entry(db, "opened").summary.endswith("sender not verified")
    page = logged_in.get("/incidents/INC-1").get_data(as_text=True)
    assert f"{WARNING}. No acknowledgement was mailed to that address." in page
    send(desk(), "Printer on fire", "Third floor.", dmarc="pass")
    assert acknowledgements(db) == [CEO]


def test_with_no_authserv_id_configured_the_same_mail_acts_as_before(desk: Callable[..., int], db: Database) -> None:
    port = desk(None)
    send(port, "Password reset", "I cannot log in.", dmarc="fail")
    assert acknowledgements(db) == [CEO]
    triage.change_status(db, 1, "resolve", AGENT, MAIL)
    send(port, "Re: [INC-1] Password reset", "Not fixed, reopen it.", dmarc="fail")
    assert incident(db).status == "open"
    with db.read() as session:
        data = [entry.data or {} for entry in session.scalars(select(TimelineEntry))]
    assert not any("sender_check" in d for d in data)


def test_the_documented_rule_on_mail_verified_tags_mail_that_failed(desk: Callable[..., int], db: Database) -> None:
    [block] = fenced("docs/integrations.md", "Forged senders: Authentication-Results", "yaml")
    [spec] = rules_file.parse("rules:\n" + block)
    with db.transaction() as session:
        add_rule(session, spec)
    port = desk()
    send(port, "New laptop for me today", "To my home address.", dmarc="fail")
    send(port, "Printer on fire", "Third floor.", dmarc="pass")
    assert [(incident(db, n).tags, incident(db, n).priority) for n in (1, 2)] == [(["spoofed"], 5), (None, 3)]


def resolution_mails(db: Database) -> list[str]:
    with db.read() as session:
        kinds = select(OutboxMessage.recipient).where(OutboxMessage.template == "requester_resolved")
        return list(session.scalars(kinds))


def test_resolving_an_incident_a_forged_mail_opened_mails_no_one_and_says_why(
    desk: Callable[..., int], db: Database
) -> None:
    send(desk(), "Wire the money today", "Pay the invoice attached.", dmarc="fail")
    triage.change_status(db, 1, "resolve", AGENT, MAIL)
    assert resolution_mails(db) == []
    with db.read() as session:
        summaries = list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "notification")))
    assert f"No resolution mail to {CEO}: the mail that opened this was not verified as theirs" in " ".join(summaries)


def test_resolving_an_incident_a_verified_mail_opened_mails_its_requester(
    desk: Callable[..., int], db: Database
) -> None:
    send(desk(), "Password reset", "I cannot log in.", dmarc="pass")
    triage.change_status(db, 1, "resolve", AGENT, MAIL)
    assert resolution_mails(db) == [CEO]


def test_a_new_mail_whose_spf_softfailed_opens_an_incident_marked_unverified_with_no_acknowledgement(
    desk: Callable[..., int], db: Database, logged_in: FlaskClient
) -> None:
    assert b"Accepted as INC-1" in send(desk(), "New laptop for me today", "To my home address.", spf="softfail")
    assert acknowledgements(db) == []
    assert timeline_entry(db, "opened").summary.endswith("sender not verified")
    page = logged_in.get("/incidents/INC-1").get_data(as_text=True)
    assert f'<p class="flash sender-unverified" role="note">{SOFT_WARNING}. No acknowledgement was mailed' in page


def test_a_reply_whose_spf_softfailed_ends_the_wait_and_tells_the_assignee_as_the_requesters_own(
    desk: Callable[..., int], db: Database, user: Login
) -> None:
    port = verified_request(desk, db, "wait", assignee=user.email)
    send(port, "Re: [INC-1] Password reset", "Here is what you asked for.", spf="softfail")
    assert (incident(db).status, replies_told(db)) == ("open", 1)
    entry = timeline_entry(db, "email")
    assert entry.summary.startswith(f"Reply from {CEO} (sender not verified): ")


def test_the_assignee_told_of_a_softfailed_reply_reads_that_the_sender_was_not_verified(
    desk: Callable[..., int], db: Database, user: Login
) -> None:
    port = verified_request(desk, db, assignee=user.email)
    send(port, "Re: [INC-1] Password reset", "Send the new password to my private address.", spf="softfail")
    text, html = mailed_text(reply_notices(db))
    warning = "The sender was not verified: the receiving server could not confirm this mail came from"
    assert f"{warning} {CEO}." in text and html is not None and "The sender was not verified:" in html


def test_the_assignee_told_of_a_verified_reply_reads_no_warning(
    desk: Callable[..., int], db: Database, user: Login
) -> None:
    port = verified_request(desk, db, assignee=user.email)
    send(port, "Re: [INC-1] Password reset", "Thanks, it works.", dmarc="pass")
    text, html = mailed_text(reply_notices(db))
    assert "Thanks, it works." in text and "not verified" not in text and "not verified" not in (html or "")


def test_a_reply_whose_spf_softfailed_reopens_a_resolved_incident(desk: Callable[..., int], db: Database) -> None:
    port = verified_request(desk, db, "resolve")
    send(port, "Re: [INC-1] Password reset", "Not fixed, reopen it.", spf="softfail")
    assert incident(db).status == "open"


def test_resolving_an_incident_a_softfailed_mail_opened_mails_no_resolution(
    desk: Callable[..., int], db: Database
) -> None:
    send(desk(), "Wire the money today", "Pay the invoice attached.", spf="softfail")
    triage.change_status(db, 1, "resolve", AGENT, MAIL)
    assert resolution_mails(db) == []


@pytest.mark.parametrize("spf", ["neutral", "none"])
def test_spf_neutral_or_none_is_no_verdict_and_changes_nothing(
    desk: Callable[..., int], db: Database, spf: str
) -> None:
    send(desk(), "Printer on fire", "Third floor.", spf=spf)
    assert acknowledgements(db) == [CEO]
    triage.change_status(db, 1, "resolve", AGENT, MAIL)
    assert resolution_mails(db) == [CEO]
    opened = timeline_entry(db, "opened")
    assert opened.data is not None and opened.data["sender_check"]["verdict"] == "none"


def test_rules_read_a_softfail_as_mail_verified_softfail(desk: Callable[..., int], db: Database) -> None:
    [spec] = rules_file.parse("rules:\n- name: Unverified\n  when: {field: mail.verified, op: in, value: [fail, "
                              "softfail]}\n  set: {tags: [unverified]}\n")  # fmt: skip
    with db.transaction() as session:
        add_rule(session, spec)
    port = desk()
    send(port, "New laptop for me today", "To my home address.", spf="softfail")
    send(port, "Printer on fire", "Third floor.", spf="neutral")
    assert [incident(db, n).tags for n in (1, 2)] == [["unverified"], None]


# -- the directory of contacts (hub/contacts.py) ------------------------------------------------------------

STRANGER = "new.supplier@example.org"


def contacts(db: Database) -> dict[str, tuple[str | None, str | None]]:
    """Every contact: address -> (name, organisation)."""
    with db.read() as session:
        rows = session.execute(
            select(Contact.email, Contact.name, Organisation.name).outerjoin(
                Organisation, Organisation.id == Contact.organisation_id
            )
        )
        return {email: (name, organisation) for email, name, organisation in rows}


def organisations(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Organisation.domain)))


def test_a_forged_mail_from_a_new_address_makes_no_contact_but_still_opens_its_incident(
    desk: Callable[..., int], db: Database
) -> None:
    reply = send(desk(), "Our bank details changed", "Pay here from now on.", dmarc="fail",
                 name="Accounts Team", address=STRANGER)  # fmt: skip
    assert b"Accepted as INC-1" in reply and incident(db).requester == STRANGER
    assert contacts(db) == {} and organisations(db) == []


def test_a_forged_mail_does_not_name_a_known_contact(desk: Callable[..., int], db: Database) -> None:
    port = desk()
    send(port, "Password reset", "I cannot log in.", dmarc="pass", name="")  # known, with no name yet
    send(port, "Wire the money today", "Pay the invoice attached.", dmarc="fail", name="Chief Executive")
    assert contacts(db) == {CEO: (None, "example.com")}
    assert incident(db, 2).requester == CEO


def test_a_forged_mail_from_a_known_contact_takes_no_organisation_label(desk: Callable[..., int], db: Database) -> None:
    port = desk()
    send(port, "Password reset", "I cannot log in.", dmarc="pass")
    send(port, "Wire the money today", "Pay the invoice attached.", dmarc="fail")
    assert [incident(db, n).labels.get("organisation") for n in (1, 2)] == ["example.com", None]


def test_a_verified_mail_makes_a_contact_with_its_name_and_organisation(desk: Callable[..., int], db: Database) -> None:
    send(desk(), "Password reset", "I cannot log in.", dmarc="pass")
    assert contacts(db) == {CEO: ("Chief Executive", "example.com")}
    assert incident(db).labels.get("organisation") == "example.com"


def test_a_verified_mail_names_a_known_contact_that_had_no_name(desk: Callable[..., int], db: Database) -> None:
    port = desk()
    send(port, "Password reset", "I cannot log in.", dmarc="pass", name="")
    send(port, "Printer on fire", "Third floor.", dmarc="pass", name="Chief Executive")
    assert contacts(db) == {CEO: ("Chief Executive", "example.com")}


def test_a_softfailed_mail_makes_a_contact_as_the_senders_own(desk: Callable[..., int], db: Database) -> None:
    send(desk(), "New laptop for me today", "To my home address.", spf="softfail")
    assert contacts(db) == {CEO: ("Chief Executive", "example.com")}
