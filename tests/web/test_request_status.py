"""The requester's "Follow your request" page: reached from a link in the desk's mail, without logging in."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import agent_files, approvals, incident_notes, request_conversation, request_links, satisfaction, triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import AttachmentInfo, InboundEvent, MailFacts
from hub.intake import Intake, Raw
from hub.models import Incident, OutboxMessage, TimelineEntry, utcnow
from tests.web.helpers import Login, csrf_token

EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")
HOSTILE = '<script>alert("req")</script>'
MESSAGE_NUMBERS = itertools.count()


@pytest.fixture
def incident_id(intake: Intake) -> int:
    event = InboundEvent(source="email", title=f"Printer jams {HOSTILE}", requester="ann@example.org",
                         message_id="<p@x>", description="The printer on floor 2 jams on every page.")  # fmt: skip
    outcome = intake.record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def mail_into_thread(intake: Intake, incident_id: int, sender: str, text: str, mail: MailFacts | None = None) -> None:
    """A mail from `sender` answering the first one: threaded into the incident by its Message-ID."""
    event = InboundEvent(source="email", title="Re: Printer jams", requester=sender, description=text,
                         message_id=f"<{next(MESSAGE_NUMBERS)}.{sender}>", in_reply_to=("<p@x>",),
                         mail=mail)  # fmt: skip
    assert intake.record(EMAIL, event).incident_id == incident_id


def reply_by_bob(db: Database, settings: Settings, incident_id: int, text: str) -> None:
    incident_notes.reply(db, incident_id, text, Actor("bob@example.com"),
                         Mail(settings.desk_address, settings.base_url))  # fmt: skip


def conversation_of(client: FlaskClient, settings: Settings, incident_id: int) -> str:
    """The page's conversation, as HTML (the part after the state)."""
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert '<ol class="conversation">' in html
    return html.split('<ol class="conversation">', 1)[1].split("</ol>", 1)[0]


def link(settings: Settings, incident_id: int, **kw: object) -> str:
    return f"/requests/{request_links.LINKS.sign(settings.secret_key, incident_id, 'ann@example.org', **kw)}"  # type: ignore[arg-type]


def test_the_requester_sees_where_it_stands_and_nothing_of_the_desks_work(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("bob@example.com")
    mail = Mail(settings.desk_address, settings.base_url)
    incident_notes.add_note(db, incident_id, "Internal: the printer vendor is slow", Actor("bob@example.com"))
    triage.assign(db, incident_id, "bob@example.com", Actor("bob@example.com"), mail)
    triage.change_status(db, incident_id, "acknowledge", Actor("bob@example.com"), mail)
    answer = client.get(link(settings, incident_id))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and '<strong id="state">In progress</strong>' in html
    assert "Someone at the desk is working on it." in html and f"INC-{incident_id}" in html
    # The priority as the desk's pages show it (a badge): bare "P3" could be inside the page's CSRF token.
    assert "vendor" not in html and "bob@example.com" not in html and ">P3<" not in html
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_a_resolved_request_says_how(client: FlaskClient, db: Database, settings: Settings, incident_id: int) -> None:
    mail = Mail(settings.desk_address, settings.base_url)
    triage.change_status(db, incident_id, "resolve", Actor("bob@example.com"), mail,
                         resolution="Cleared the jam.")  # fmt: skip
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert '<strong id="state">Resolved</strong>' in html and "Cleared the jam." in html


def test_a_link_that_was_changed_or_made_for_another_page_is_400(
    client: FlaskClient, settings: Settings, incident_id: int
) -> None:
    assert client.get(link(settings, incident_id) + "x").status_code == 400
    survey = satisfaction.sign(settings.secret_key, incident_id, "ann@example.org")
    refused = client.get(f"/requests/{survey}")
    assert refused.status_code == 400 and "reply to one of our emails" in refused.get_data(as_text=True)


def test_an_expired_link_or_one_whose_request_changed_hands_is_410(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    assert client.get(link(settings, incident_id, now=utcnow() - timedelta(days=91))).status_code == 410
    with db.transaction() as session:
        session.scalars(select(Incident)).one().requester = "bea@example.org"
    assert client.get(link(settings, incident_id)).status_code == 410


def test_the_requesters_mail_and_the_desks_reply_are_shown_oldest_first(
    client: FlaskClient, db: Database, settings: Settings, intake: Intake, incident_id: int
) -> None:
    reply_by_bob(db, settings, incident_id, "Please try the tray on the left.")
    mail_into_thread(intake, incident_id, "ann@example.org", "The left tray works, thank you.")
    said = conversation_of(client, settings, incident_id)
    first = said.index("The printer on floor 2 jams on every page.")
    answer = said.index("Please try the tray on the left.")
    thanks = said.index("The left tray works, thank you.")
    assert first < answer < thanks
    assert said.count("<strong>You</strong>") == 2 and said.count("<strong>The service desk</strong>") == 1


def test_an_internal_note_is_not_shown(client: FlaskClient, db: Database, settings: Settings, incident_id: int) -> None:
    incident_notes.add_note(db, incident_id, "Vendor contract lapsed, do not tell her", Actor("bob@example.com"))
    reply_by_bob(db, settings, incident_id, "We are on it.")
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert "We are on it." in html and "Vendor contract lapsed" not in html


def test_a_replys_files_are_named_and_a_notes_files_never_shown(
    client: FlaskClient, db: Database, settings: Settings, intake: Intake, incident_id: int
) -> None:
    assert intake.files is not None
    mail, bob = Mail(settings.desk_address, settings.base_url), Actor("bob@example.com")
    inside = agent_files.keep(intake.files, [agent_files.Upload("vendor-quote.pdf", b"%PDF internal")])
    incident_notes.add_note(db, incident_id, "The vendor's quote.", bob, files=inside)
    sent = agent_files.keep(intake.files, [agent_files.Upload("new-driver.zip", b"PK driver")])
    incident_notes.reply(db, incident_id, "The new driver is attached.", bob, mail, files=sent)
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert "Attached to the mail: new-driver.zip" in conversation_of(client, settings, incident_id)
    assert "vendor-quote.pdf" not in html and "/attachments/" not in html


def test_a_reply_of_files_alone_is_shown_with_its_files_and_no_empty_text(
    client: FlaskClient, db: Database, settings: Settings, intake: Intake, incident_id: int
) -> None:
    assert intake.files is not None
    sent = agent_files.keep(intake.files, [agent_files.Upload("invoice.pdf", b"%PDF invoice")])
    incident_notes.reply(db, incident_id, "", Actor("bob@example.com"), Mail(settings.desk_address,
                         settings.base_url), files=sent)  # fmt: skip
    said = conversation_of(client, settings, incident_id)
    reply = said[said.index("<strong>The service desk</strong>") :]
    assert "Attached to the mail: invoice.pdf" in reply and "(no text)" not in reply


def test_the_files_the_requester_sent_are_named_with_their_mail_but_not_the_pictures_in_its_text(
    client: FlaskClient, settings: Settings, intake: Intake, incident_id: int
) -> None:
    photo = AttachmentInfo("blank-page.jpg", "image/jpeg", 10, "0" * 64, stored=False, note="not stored: test")
    logo = AttachmentInfo("logo.png", "image/png", 10, "1" * 64, inline=True, stored=False, note="not stored: test")
    mail_into_thread(intake, incident_id, "ann@example.org", "Here is a photo.", MailFacts(attachments=(photo, logo)))
    said = conversation_of(client, settings, incident_id)
    assert "Attached to the mail: blank-page.jpg" in said[said.index("Here is a photo.") :]
    assert "logo.png" not in said


def test_the_page_says_mail_to_the_desk_needs_the_reference_in_its_subject(
    client: FlaskClient, settings: Settings, incident_id: int
) -> None:
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    to_add = html.split('id="to-add">', 1)[1].split("</p>", 1)[0]
    assert f"with [INC-{incident_id}] in the subject: without it, your email starts a new request" in to_add


def test_who_answered_is_not_shown(
    client: FlaskClient, db: Database, settings: Settings, make_user: Callable[..., Login], incident_id: int
) -> None:
    make_user("bob@example.com")
    reply_by_bob(db, settings, incident_id, "We are on it.")
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert "We are on it." in html and "The service desk" in html
    assert "bob" not in html.lower()


def test_a_hostile_message_is_shown_as_text(
    client: FlaskClient, settings: Settings, intake: Intake, incident_id: int
) -> None:
    mail_into_thread(intake, incident_id, "ann@example.org", f"Still jams {HOSTILE}")
    said = conversation_of(client, settings, incident_id)
    assert HOSTILE not in said and "Still jams &lt;script&gt;alert(&#34;req&#34;)&lt;/script&gt;" in said


def test_a_long_message_is_cut_with_an_ellipsis(
    client: FlaskClient, settings: Settings, intake: Intake, incident_id: int
) -> None:
    mail_into_thread(intake, incident_id, "ann@example.org", "jam " * 2000 + "THE END")
    said = conversation_of(client, settings, incident_id)
    assert "jam jam …" in said and "THE END" not in said
    assert said.count("jam ") < request_conversation.MAX_CHARS // 4 + 2


def test_the_quoted_history_below_a_reply_is_left_out(
    client: FlaskClient, settings: Settings, intake: Intake, incident_id: int
) -> None:
    quoted = "It jams again.\n\nOn Mon, 2 Nov 2026 at 10:00, Service desk <desk@example.com> wrote:\n> Fixed?\n"
    mail_into_thread(intake, incident_id, "ann@example.org", quoted)
    said = conversation_of(client, settings, incident_id)
    assert "It jams again." in said and "Fixed?" not in said


def test_mail_from_someone_else_on_the_thread_is_not_shown(
    client: FlaskClient, settings: Settings, intake: Intake, incident_id: int
) -> None:
    mail_into_thread(intake, incident_id, "carl@example.net", "Between us: Ann broke it herself.")
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert "The printer on floor 2 jams" in html
    assert "Ann broke it" not in html and "carl@example.net" not in html


def test_only_the_newest_messages_are_shown_and_the_page_says_the_rest_are_in_the_mailbox(
    client: FlaskClient, settings: Settings, intake: Intake, incident_id: int
) -> None:
    for n in range(request_conversation.MAX_MESSAGES):
        mail_into_thread(intake, incident_id, "ann@example.org", f"Reminder number {n:02}")
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert 'id="earlier"' in html and "The printer on floor 2 jams" not in html
    assert html.index("Reminder number 00") < html.index(f"Reminder number {request_conversation.MAX_MESSAGES - 1}")


# -- "It is solved" -------------------------------------------------------------------------------------------------


def merged_into_a_new_request(
    intake: Intake, db: Database, settings: Settings, incident_id: int, title: str, requester: str
) -> int:
    """Merge the request into a new one that `requester` mailed in, as an agent does; the new one's id."""
    event = InboundEvent(source="email", title=title, requester=requester, message_id=f"<{next(MESSAGE_NUMBERS)}@x>")
    into = intake.record(EMAIL, event).incident_id
    assert into is not None
    triage.merge(db, incident_id, into, Actor("bob@example.com"), Mail(settings.desk_address, settings.base_url))
    return into


def say_solved(client: FlaskClient, path: str) -> tuple[int, str]:
    """Open the page and press "It is solved", as a browser would; (status, page after any redirect)."""
    page = client.get(path).get_data(as_text=True)
    answer = client.post(f"{path}/solved", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def test_the_requester_says_it_is_solved_and_the_assignee_not_they_hear_of_it(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("bob@example.com")
    mail = Mail(settings.desk_address, settings.base_url)
    triage.assign(db, incident_id, "bob@example.com", Actor("bob@example.com"), mail)
    code, html = say_solved(client, link(settings, incident_id))
    assert code == 200 and "we have marked it resolved" in html and '<strong id="state">Resolved</strong>' in html
    assert "It is solved: close my request" not in html and "We think it is fixed" not in html
    with db.read() as session:
        incident = session.get_one(Incident, incident_id)
        told = session.execute(select(OutboxMessage.kind, OutboxMessage.recipient)
                               .where(OutboxMessage.incident_id == incident_id)).all()  # fmt: skip
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id))
        assert "Resolved by ann@example.org" in list(summaries)
    assert (incident.status, incident.resolution) == ("resolved", request_links.SOLVED)
    assert ("resolved", "bob@example.com") in told
    assert not [row for row in told if row.recipient == "ann@example.org" and row.kind != "acknowledgement"]


def test_a_request_they_solved_says_so_on_a_later_visit_and_thanks_no_more_once_reopened(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    path = link(settings, incident_id)
    say_solved(client, path)
    later = client.get(path).get_data(as_text=True)
    assert "You told us it is solved." in later and "We think it is fixed" not in later
    triage.change_status(db, incident_id, "reopen", Actor("bob@example.com"), Mail(settings.desk_address,
                                                                                   settings.base_url))  # fmt: skip
    reopened = client.get(f"{path}?solved=1").get_data(as_text=True)
    assert 'id="solved"' not in reopened and '<strong id="state">Open</strong>' in reopened


def test_saying_it_is_solved_needs_the_pages_csrf_token(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    answer = client.post(f"{link(settings, incident_id)}/solved", data={})
    assert answer.status_code == 400 and "press the button again" in answer.get_data(as_text=True)
    with db.read() as session:
        assert session.get_one(Incident, incident_id).status == "open"


def test_a_request_resolved_meanwhile_offers_no_button_and_a_late_press_changes_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    path = link(settings, incident_id)
    page = client.get(path).get_data(as_text=True)
    mail = Mail(settings.desk_address, settings.base_url)
    triage.change_status(db, incident_id, "resolve", Actor("bob"), mail, resolution="Cleared the jam.")
    late = client.post(f"{path}/solved", data={"csrf_token": csrf_token(page)})
    assert late.status_code == 409 and "it is not open any more" in late.get_data(as_text=True)
    assert "close my request" not in client.get(path).get_data(as_text=True)
    with db.read() as session:
        assert session.get_one(Incident, incident_id).resolution == "Cleared the jam."


def test_a_changed_link_cannot_say_a_request_is_solved(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    token = csrf_token(client.get(link(settings, incident_id)).get_data(as_text=True))
    assert client.post(f"{link(settings, incident_id)[:-3]}/solved", data={"csrf_token": token}).status_code == 400
    with db.read() as session:
        assert session.get_one(Incident, incident_id).status == "open"


def test_a_link_to_a_request_merged_into_another_of_theirs_shows_and_solves_that_one(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, intake: Intake
) -> None:
    survivor = merged_into_a_new_request(intake, db, settings, incident_id, "Printer still jams", "ann@example.org")
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert f"Your request INC-{incident_id} was merged into this one" in html and "Printer still jams" in html
    code, html = say_solved(client, link(settings, incident_id))
    assert code == 200 and '<strong id="state">Resolved</strong>' in html
    with db.read() as session:
        assert session.get_one(Incident, survivor).resolution == request_links.SOLVED


def test_a_link_to_a_request_merged_into_someone_elses_shows_how_that_one_was_resolved_escaped(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, intake: Intake
) -> None:
    bobs = merged_into_a_new_request(intake, db, settings, incident_id, "Bea: all printers jam", "bea@example.org")
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert '<strong id="state">Merged</strong>' in html and 'id="outcome"' not in html and "Resolved " not in html
    mail, bob = Mail(settings.desk_address, settings.base_url), Actor("bob@example.com")
    triage.change_status(db, bobs, "resolve", bob, mail, resolution=f"New rollers {HOSTILE}")
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert f'<p id="outcome"><strong>INC-{bobs} was resolved: we think it is fixed.' in html
    assert "How it was resolved" in html and "New rollers &lt;script&gt;" in html and HOSTILE not in html
    assert "Bea" not in html and "bea@" not in html  # nothing else of hers
    assert "It is solved: close my request" not in html


def test_the_requester_sees_their_request_waiting_for_approval_without_the_approvers_name(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("bob@example.com")
    make_user("boss@example.com", role="viewer")
    asked = approvals.ask(db, incident_id, "boss@example.com", "Budget?", Actor("bob@example.com"),
                          Mail(settings.desk_address, settings.base_url))  # fmt: skip
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert '<strong id="state">Waiting for approval</strong>' in html
    assert "boss@example.com" not in html and "Budget?" not in html
    approvals.decide(db, asked.id, "approve", "", Actor("boss@example.com"), Mail(settings.desk_address, ""))
    assert '<strong id="state">Open</strong>' in client.get(link(settings, incident_id)).get_data(as_text=True)
