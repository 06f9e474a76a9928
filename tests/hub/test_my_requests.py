"""A requester's list of their requests: which requests it names and how (and that their request's own page follows
merges as the list does), and who is mailed its link. On SQLite and PostgreSQL, with incidents opened by mail
through the intake."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select, update

from hub import approvals, incident_notes, my_requests, request_links, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.intake import Intake
from hub.models import Incident, OutboxMessage, utcnow
from hub.recipients import Sender
from hub.signed_links import BadLink, Claim, ExpiredLink
from hub.verifying_keys import VerifyingKeys
from tests.emailed import ANN, mailed_in
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)
from tests.web.helpers import statements

KEY = "test-secret-key"
BASE = "https://desk.example.com"
SENDER = Sender("desk@example.com", BASE, secret_key=KEY)
AGENT = Actor("bob@example.com")
MAIL = Mail("desk@example.com", BASE, secret_key=KEY)


def listed(db: Database, address: str = ANN) -> my_requests.Listing:
    with db.read() as session:
        return my_requests.listing(session, Claim(0, address), utcnow())


def refs(found: my_requests.Listing) -> list[str]:
    return [r.ref for r in found.requests]


def ask(db: Database, address: str) -> bool:
    with db.transaction() as session:
        return my_requests.ask(session, address, SENDER, utcnow())


def list_mails(db: Database) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == my_requests.KIND)))


# -- what the list names --------------------------------------------------------------------------------------------


def test_the_list_names_the_requesters_requests_the_most_recently_changed_first(intake: Intake, db: Database) -> None:
    printer, vpn, badge = (mailed_in(intake, title) for title in ("Printer", "VPN", "Badge"))
    mailed_in(intake, "Bob's laptop", requester="bob@example.org")
    incident_notes.reply(db, printer, "Please restart it.", AGENT, MAIL)  # the desk answered: it changed for her
    found = listed(db)
    assert refs(found) == [f"INC-{printer}", f"INC-{badge}", f"INC-{vpn}"] and found.left_out == 0
    assert [(r.title, r.label) for r in found.requests][1] == ("Badge", "Open")


def test_the_desks_internal_work_does_not_move_a_request_up(intake: Intake, db: Database) -> None:
    printer, vpn = mailed_in(intake, "Printer"), mailed_in(intake, "VPN")
    incident_notes.add_note(db, printer, "Internal: vendor is slow", AGENT)
    triage.set_priority(db, printer, 1, AGENT)
    assert refs(listed(db)) == [f"INC-{vpn}", f"INC-{printer}"]


def test_the_address_is_matched_in_any_case(intake: Intake, db: Database) -> None:
    printer = mailed_in(intake, "Printer", requester="Ann@Example.ORG")
    assert refs(listed(db)) == [f"INC-{printer}"]


def test_each_says_where_it_stands_in_the_requesters_words(intake: Intake, db: Database) -> None:
    printer, vpn = mailed_in(intake, "Printer"), mailed_in(intake, "VPN")
    triage.change_status(db, printer, "acknowledge", AGENT, MAIL)
    triage.change_status(db, vpn, "resolve", AGENT, MAIL)
    said = {r.ref: (r.label, r.explanation) for r in listed(db).requests}
    assert said[f"INC-{printer}"] == ("In progress", "Someone at the desk is working on it.")
    assert said[f"INC-{vpn}"][0] == "Resolved"


def test_requests_awaiting_an_approval_say_so_read_in_one_statement_for_the_list(intake: Intake, db: Database) -> None:
    printer, laptop, phone = (mailed_in(intake, title) for title in ("Printer", "Laptop", "Phone"))
    with db.transaction() as session:
        create_user(session, email="boss@example.com", password="correct horse battery", role="viewer")
    approvals.ask(db, laptop, "boss@example.com", "Budget?", AGENT, MAIL)
    approvals.ask(db, phone, "boss@example.com", "", AGENT, MAIL)
    with statements(db) as sent:
        found = listed(db)
    said = {r.ref: (r.label, r.explanation) for r in found.requests}
    assert said[f"INC-{laptop}"] == said[f"INC-{phone}"] == request_links.AWAITING_APPROVAL
    assert said[f"INC-{printer}"][0] == "Open"
    assert len([s for s in sent if "approvals" in s]) == 1


def test_a_request_merged_into_another_of_theirs_is_listed_as_that_one_once(intake: Intake, db: Database) -> None:
    first, again = mailed_in(intake, "Printer jams"), mailed_in(intake, "Printer still jams")
    triage.merge(db, again, first, AGENT, MAIL)
    found = listed(db)
    assert refs(found) == [f"INC-{first}"] and found.requests[0].label == "Open" and found.left_out == 0


def test_a_request_merged_into_someone_elses_is_listed_as_itself_naming_only_their_reference(
    intake: Intake, db: Database
) -> None:
    bobs = mailed_in(intake, "Bob: payroll export is broken", requester="bob@example.org")
    hers = mailed_in(intake, "Payslip missing")
    triage.merge(db, hers, bobs, AGENT, MAIL)
    [only] = listed(db).requests
    assert (only.ref, only.title, only.label) == (f"INC-{hers}", "Payslip missing", "Merged")
    assert f"followed under INC-{bobs} now" in only.explanation and "payroll" not in only.explanation
    assert refs(listed(db, "bob@example.org")) == [f"INC-{bobs}"]


def test_a_request_merged_on_and_on_within_theirs_is_listed_as_the_last_once(intake: Intake, db: Database) -> None:
    first, second, third = (mailed_in(intake, title) for title in ("Printer jams", "Still jams", "Jams again"))
    triage.merge(db, first, second, AGENT, MAIL)
    triage.merge(db, second, third, AGENT, MAIL)
    found = listed(db)
    assert refs(found) == [f"INC-{third}"] and found.requests[0].label == "Open" and found.left_out == 0


def test_merges_are_followed_only_while_the_request_merged_into_is_theirs(intake: Intake, db: Database) -> None:
    first, second = mailed_in(intake, "Payslip missing"), mailed_in(intake, "Payslip still missing")
    bobs = mailed_in(intake, "Bob: payroll export is broken", requester="bob@example.org")
    triage.merge(db, first, second, AGENT, MAIL)
    triage.merge(db, second, bobs, AGENT, MAIL)
    [only] = listed(db).requests
    assert (only.ref, only.title, only.label) == (f"INC-{second}", "Payslip still missing", "Merged")


def test_requests_resolved_over_ninety_days_ago_are_left_out_and_counted(intake: Intake, db: Database) -> None:
    old, recent, still_open = (mailed_in(intake, title) for title in ("Old", "Recent", "Open"))
    for number in (old, recent):
        triage.change_status(db, number, "resolve", AGENT, MAIL)
    with db.transaction() as session:
        long_ago = utcnow() - my_requests.RECENT - timedelta(days=1)
        session.execute(update(Incident).where(Incident.id == old).values(resolved_at=long_ago))
    found = listed(db)
    assert sorted(refs(found)) == sorted([f"INC-{recent}", f"INC-{still_open}"]) and found.left_out == 1


def test_only_the_newest_fifty_are_listed_and_the_rest_counted(intake: Intake, db: Database) -> None:
    numbers = [mailed_in(intake, f"Request {n}") for n in range(my_requests.SHOWN + 2)]
    found = listed(db)
    assert refs(found) == [f"INC-{n}" for n in reversed(numbers[2:])] and found.left_out == 2


def test_an_address_that_asked_nothing_has_an_empty_list(intake: Intake, db: Database) -> None:
    mailed_in(intake, "Printer")
    assert listed(db, "bob@example.org") == my_requests.Listing("bob@example.org", (), 0)


# -- the request's own page follows the same merges ------------------------------------------------------------------


def page_for(db: Database, incident_id: int) -> request_links.RequestView:
    """What the page a request's mailed link opens shows."""
    with db.read() as session:
        return request_links.view(session, Claim(incident_id, ANN))


def test_a_link_to_a_request_merged_on_and_on_opens_the_last_of_theirs(intake: Intake, db: Database) -> None:
    first, second, third = (mailed_in(intake, title) for title in ("Printer jams", "Still jams", "Jams again"))
    triage.merge(db, first, second, AGENT, MAIL)
    triage.merge(db, second, third, AGENT, MAIL)
    for asked in (first, second):
        shown = page_for(db, asked)
        assert (shown.ref, shown.label, shown.merged_from, shown.open) == (f"INC-{third}", "Open", f"INC-{asked}", True)
    assert page_for(db, third).merged_from is None


def test_a_link_to_a_request_merged_into_someone_elses_stops_at_the_last_of_theirs(
    intake: Intake, db: Database
) -> None:
    first, second = mailed_in(intake, "Payslip missing"), mailed_in(intake, "Payslip still missing")
    bobs = mailed_in(intake, "Bob: payroll export is broken", requester="bob@example.org")
    triage.merge(db, first, second, AGENT, MAIL)
    triage.merge(db, second, bobs, AGENT, MAIL)
    shown = page_for(db, first)
    assert (shown.ref, shown.title, shown.label, shown.open) == (f"INC-{second}", "Payslip still missing", "Merged",
                                                                 False)  # fmt: skip


# -- the link -------------------------------------------------------------------------------------------------------


def test_a_list_link_names_the_address_alone_and_works_for_a_day() -> None:
    keys = VerifyingKeys(KEY)
    assert my_requests.LINKS.read(keys, my_requests.LINKS.sign(KEY, 0, "Ann@Example.org")) == Claim(0, ANN)
    with pytest.raises(BadLink):  # a list link names no record; one that does was not made for the list
        my_requests.LINKS.read(keys, my_requests.LINKS.sign(KEY, 7, ANN))
    with pytest.raises(BadLink):  # and a request link must name its request
        request_links.LINKS.read(keys, request_links.LINKS.sign(KEY, 0, ANN))
    yesterday = utcnow() - timedelta(hours=24, minutes=1)
    with pytest.raises(ExpiredLink, match="links work for 24 hours"):
        my_requests.LINKS.read(keys, my_requests.LINKS.sign(KEY, 0, ANN, now=yesterday))


# -- who is mailed the link -----------------------------------------------------------------------------------------


def test_asking_mails_the_address_a_link_to_its_own_list_for_a_day(intake: Intake, db: Database) -> None:
    mailed_in(intake, "Printer")
    assert ask(db, ANN)
    [mail] = list_mails(db)
    assert (mail.recipient, mail.incident_id, mail.subject) == (ANN, None, "Your requests to the service desk")
    assert mail.facts is not None and mail.facts["valid_for"] == "24 hours" and "Printer" not in mail.body
    url = mail.facts["list_url"]
    assert url.startswith(f"{BASE}/help/my-requests/")
    token = unquote(url.removeprefix(f"{BASE}/help/my-requests/"))
    assert my_requests.LINKS.read(VerifyingKeys(KEY), token) == Claim(0, ANN)


def test_an_address_that_asked_nothing_is_mailed_nothing(intake: Intake, db: Database) -> None:
    mailed_in(intake, "Printer")
    assert not ask(db, "bob@example.org") and list_mails(db) == []


def test_asking_again_within_ten_minutes_mails_nothing_more(intake: Intake, db: Database) -> None:
    mailed_in(intake, "Printer")
    assert ask(db, ANN) and not ask(db, ANN)
    assert len(list_mails(db)) == 1
