"""An email on the incident page: the requester's name and organisation, plain text first, sanitised HTML on
request, files as downloads that are never rendered; and the admins' page of unprocessable messages."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage

from flask.testing import FlaskClient

from hub.intake import Intake, Raw
from ingest.mail_intake import store_message
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in, post_event


def email_with_files() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Ann Example <ann@acme.example>", "helpdesk@localhost", "Printer"
    msg.set_content("Third floor.")
    msg.add_alternative(
        '<p onclick="steal()">Third <b>floor</b></p><script>alert("x")</script>'
        '<img src="https://tracker.example/p.gif" alt="pixel">',
        subtype="html",
    )
    msg.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html", filename="page.html")
    msg.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="r\u00e9sum\u00e9.pdf")
    return msg.as_bytes()


def download_links(page: str) -> list[str]:
    return re.findall(r'href="(/incidents/INC-\d+/attachments/\d+)"', page)


def test_incident_page_shows_requester_text_sanitised_html_and_files(logged_in: FlaskClient, intake: Intake) -> None:
    ref = store_message(intake, email_with_files()).ref
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "<dd>ann@acme.example (Ann Example)</dd>" in page
    assert "<dt>Organisation</dt><dd>acme.example</dd>" in page
    assert "Show formatted" in page and "Third <b>floor</b>" in page
    for banned in ("steal()", 'alert("x")', "tracker.example"):
        assert banned not in page, banned
    assert "page.html" in page and "r\u00e9sum\u00e9.pdf" in page and len(download_links(page)) == 2


def test_a_reply_shows_its_newest_text_first_and_the_full_message_on_request(
    logged_in: FlaskClient, intake: Intake
) -> None:
    opened = store_message(intake, email_with_files())
    reply = EmailMessage()
    reply["From"], reply["Subject"] = "ann@acme.example", f"Re: [{opened.ref}] Printer"
    reply.set_content("It is out now.\n\nOn Mon, 3 Feb 2025 at 10:00, Desk <helpdesk@localhost> wrote:\n> Where?\n")
    store_message(intake, reply.as_bytes())
    page = logged_in.get(f"/incidents/{opened.ref}").get_data(as_text=True)
    newest = page.index('<pre class="text">It is out now.</pre>')
    assert page.index("Show full message", newest) < page.index("&gt; Where?", newest)


def test_an_html_attachment_is_a_download_never_a_page(logged_in: FlaskClient, intake: Intake) -> None:
    ref = store_message(intake, email_with_files()).ref
    html_link, pdf_link = download_links(logged_in.get(f"/incidents/{ref}").get_data(as_text=True))
    response = logged_in.get(html_link)
    assert response.status_code == 200 and response.data == b"<script>alert(1)</script>"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    pdf = logged_in.get(pdf_link)
    assert (
        pdf.headers["Content-Type"] == "application/pdf"
        and "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in (pdf.headers["Content-Disposition"])
    )


def test_an_attachment_is_only_reached_through_its_own_incident(logged_in: FlaskClient, intake: Intake) -> None:
    first = store_message(intake, email_with_files()).ref
    other = store_message(intake, email_with_files()).ref
    link = download_links(logged_in.get(f"/incidents/{first}").get_data(as_text=True))[0]
    assert logged_in.get(link.replace(f"/{first}/", f"/{other}/")).status_code == 404


def test_admins_see_unprocessable_messages_and_reprocess_one(
    client: FlaskClient, make_user: Callable[..., Login], intake: Intake
) -> None:
    raw = EmailMessage()
    raw["From"], raw["Subject"] = "ann@example.com", "Kept by an older parser"
    raw.set_content("Hello.")
    event_id = intake.record_unprocessable(Raw("email", "message/rfc822", raw.as_bytes()), "ValueError: old bug")
    log_in(client, make_user(email="admin@example.com", role="admin"))
    page = client.get("/events/unprocessable").get_data(as_text=True)
    assert "ValueError: old bug" in page
    done = client.post(f"/events/{event_id}/reprocess", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert f"event {event_id}: reprocessed as event" in text and "ValueError: old bug" not in text


def test_a_refused_webhook_body_is_listed_without_a_reprocess_button(
    client: FlaskClient, make_user: Callable[..., Login], intake: Intake
) -> None:
    intake.record_unprocessable(Raw("alertmanager", "application/json", b"{bad json"), "body is not valid JSON")
    log_in(client, make_user(email="admin@example.com", role="admin"))
    page = client.get("/events/unprocessable").get_data(as_text=True)
    assert "body is not valid JSON" in page and "Refused with 400" in page
    assert "/reprocess" not in page


def test_a_refused_webhook_body_names_its_integration_with_a_link_to_its_page(
    client: FlaskClient, make_user: Callable[..., Login], integration: IntegrationCredentials
) -> None:
    post_event(client, integration.name, integration.secret, {"severity": "critical"})
    log_in(client, make_user(email="admin@example.com", role="admin"))
    page = client.get("/events/unprocessable").get_data(as_text=True)
    assert f'(<a href="/integrations/{integration.name}">{integration.name}</a>)' in page


def test_a_requesters_reply_is_shown_open_and_an_out_of_office_folded_and_named(
    logged_in: FlaskClient, intake: Intake
) -> None:
    opened = store_message(intake, email_with_files())
    sent = ((f"Re: [{opened.ref}] Printer", "Still jammed.", False),
            (f"Automatic reply: [{opened.ref}] Printer", "Away until Monday.", True))  # fmt: skip
    for subject, text, automatic in sent:
        reply = EmailMessage()
        reply["From"], reply["Subject"] = "ann@acme.example", subject
        if automatic:
            reply["Auto-Submitted"] = "auto-replied"
        reply.set_content(text)
        store_message(intake, reply.as_bytes())
    page = logged_in.get(f"/incidents/{opened.ref}").get_data(as_text=True)
    person = page[page.rindex('<details class="mail-text"', 0, page.index("Still jammed.")) :]
    assert person.startswith('<details class="mail-text" open><summary>Message</summary>')
    away = page[page.rindex('<details class="mail-text', 0, page.index("Away until Monday.")) :]
    assert away.startswith('<details class="mail-text automatic"><summary>Automatic reply (an out-of-office')
