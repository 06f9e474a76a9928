"""The help centre's "Ask the desk" form: asking stores a request and mails its address a link; only that link's
button sends it through the intake, once, as an incident with the acknowledgement an email gets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from hub import catalogue, knowledge, pending_requests, request_links
from hub.config import Settings
from hub.db import Database
from hub.models import BouncedAddress, Event, Incident, OutboxMessage, PendingRequest, TimelineEntry, utcnow
from hub.outbox import body_of
from hub.signed_links import Claim
from tests.conftest import make_settings
from tests.web.helpers import confirm_path, csrf_token
from web import create_app

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
PRINTER = {"email": "Ann@Example.org", "subject": "Printer on floor 3 jams", "body": "Since this morning.\r\nPage 2."}


@pytest.fixture
def mail_public(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
        catalogue.add_service(session, name="payroll")  # not public: not offered


def ask(client: FlaskClient, **fields: str) -> tuple[int, str]:
    """Fill in the form as a browser does (its CSRF token included) and send it; (status, page)."""
    token = csrf_token(client.get("/help/ask").get_data(as_text=True))
    answer = client.post("/help/ask", data={"csrf_token": token, **fields})
    return answer.status_code, answer.get_data(as_text=True)


def confirmation_link(db: Database, address: str) -> str:
    """The path of the link in the newest confirmation mail owed to `address`."""
    return confirm_path(db, "ask_confirmation", address)


def press_send(client: FlaskClient, link: str) -> tuple[int, str]:
    """Open the link's page and press its button, following the answer; (status, page)."""
    token = csrf_token(client.get(link).get_data(as_text=True))
    done = client.post(link, data={"csrf_token": token}, follow_redirects=True)
    return done.status_code, done.get_data(as_text=True)


def stored(db: Database) -> list[PendingRequest]:
    with db.read() as session:
        return list(session.scalars(select(PendingRequest).order_by(PendingRequest.id)))


def incidents(db: Database) -> list[Incident]:
    with db.read() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def confirmations(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "ask_confirmation")))


# -- the form -------------------------------------------------------------------------------------------------------


def test_the_form_asks_for_address_subject_what_happened_and_a_public_service(
    client: FlaskClient, mail_public: None
) -> None:
    page = client.get("/help/ask")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "public" not in page.headers.get("Cache-Control", "")  # a CSRF token inside
    assert all(f'name="{name}"' in html for name in ("email", "subject", "body", "service", "csrf_token"))
    assert '<option value="mail"' in html and "payroll" not in html


def test_without_public_services_the_form_asks_for_none(client: FlaskClient) -> None:
    html = client.get("/help/ask").get_data(as_text=True)
    assert 'name="subject"' in html and 'name="service"' not in html


def test_the_help_centre_and_its_articles_link_to_the_form(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        number = knowledge.add(session, title="When the printer jams", body="Open tray 2.", published=True,
                               by="ann@example.com").id  # fmt: skip
    for path in ("/help", f"/help/{number}"):
        assert 'Still stuck? <a href="/help/ask" id="ask">Ask the desk</a>' in client.get(path).get_data(as_text=True)


def test_with_no_help_centre_yet_its_page_still_offers_the_form(client: FlaskClient) -> None:
    none = client.get("/help")
    assert none.status_code == 404 and 'href="/help/ask"' in none.get_data(as_text=True)


# -- asking ---------------------------------------------------------------------------------------------------------


def test_asking_stores_the_request_and_owes_only_a_confirmation_mail_with_no_words_of_it(
    client: FlaskClient, db: Database, mail_public: None
) -> None:
    code, html = ask(client, **PRINTER, service="mail")
    assert code == 200 and "Check your email" in html and "ann@example.org" in html
    [request] = stored(db)
    assert (request.email, request.subject, request.body, request.service) == (
        "ann@example.org", "Printer on floor 3 jams", "Since this morning.\nPage 2.", "mail")  # fmt: skip
    assert request.confirmed_at is None and incidents(db) == []
    with db.read() as session:
        [mail] = session.scalars(select(OutboxMessage))
    assert mail.kind == "ask_confirmation" and mail.recipient == "ann@example.org" and mail.incident_id is None
    assert confirmation_link(db, "ann@example.org").startswith("/help/ask/confirm/")
    rendered = " ".join(part or "" for part in (mail.subject, *body_of(mail)))
    assert "Printer" not in rendered and "morning" not in rendered  # a stranger's words are not mailed out


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({**PRINTER, "email": ""}, "email", "Enter your email address"),
        ({**PRINTER, "email": "ann, bob@example.org"}, "email", "Enter one email address"),
        ({**PRINTER, "subject": " "}, "subject", "Say in a few words what it is about"),
        ({**PRINTER, "subject": "Printer\r\nBcc: everyone@example.org"}, "subject", "Keep the subject to one line"),
        ({**PRINTER, "subject": "x" * 501}, "subject", "the subject is 501 characters long"),
        ({**PRINTER, "body": "\n"}, "body", "Say what happened"),
        ({**PRINTER, "body": "x" * 50_001}, "body", "this is 50,001 characters long; at most 50,000 fit"),
        ({**PRINTER, "service": "payroll"}, "service", "Choose a service from the list"),
    ],
)
def test_a_wrong_field_is_refused_with_the_form_again_and_the_reason_beside_it(
    client: FlaskClient, db: Database, mail_public: None, fields: dict[str, str], field: str, says: str
) -> None:
    code, html = ask(client, **fields)
    assert code == 400 and f'<p class="field-error" id="{field}-error">' in html
    assert says.lower() in html.lower() and f'aria-describedby="{field}-error"' in html
    assert stored(db) == [] and confirmations(db) == []


def test_what_was_typed_is_kept_in_the_form_when_it_is_refused(client: FlaskClient, mail_public: None) -> None:
    _, html = ask(client, **{**PRINTER, "email": "nobody"})
    assert 'value="Printer on floor 3 jams"' in html and "Since this morning." in html


def test_a_form_without_its_csrf_token_stores_nothing(client: FlaskClient, db: Database) -> None:
    answer = client.post("/help/ask", data=PRINTER)
    assert answer.status_code == 400 and "out of date" in answer.get_data(as_text=True)
    assert stored(db) == []


def test_a_body_too_large_for_the_app_is_413_with_the_form_saying_what_to_do(
    client: FlaskClient, db: Database, settings: Settings
) -> None:
    token = csrf_token(client.get("/help/ask").get_data(as_text=True))
    huge = {"csrf_token": token, **PRINTER, "body": "x" * (settings.max_event_bytes + 1)}
    answer = client.post("/help/ask", data=huge)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 413 and "too large for this form" in html and 'name="subject"' in html
    assert stored(db) == []


def test_hostile_html_is_shown_as_text_on_every_page_and_in_the_incident(
    logged_in: FlaskClient, client: FlaskClient, db: Database
) -> None:
    fields = {"email": "ann@example.org", "subject": f"Printer {HOSTILE}", "body": f"It jams {HOSTILE}"}
    _, refused = ask(client, **{**fields, "email": HOSTILE})
    assert "<script>" not in refused and "&lt;script&gt;" in refused
    ask(client, **fields)
    link = confirmation_link(db, "ann@example.org")
    page = client.get(link).get_data(as_text=True)
    assert "<script>" not in page and "<img" not in page and page.count("&lt;script&gt;") == 2
    _, done = press_send(client, link)
    assert "<script>" not in done
    [incident] = incidents(db)
    assert incident.title == f"Printer {HOSTILE}" and incident.description == f"It jams {HOSTILE}"
    shown = logged_in.get(f"/incidents/INC-{incident.id}").get_data(as_text=True)
    assert "<script>alert" not in shown and "&lt;script&gt;alert(2)&lt;/script&gt;" in shown


def test_article_suggestions_matching_what_was_asked_are_offered(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        jam = knowledge.add(session, title="When the printer jams", body="Open tray 2.", keywords="paper",
                            published=True, by="bob@example.com").id  # fmt: skip
        knowledge.add(session, title="Printer jams, the draft", body="x", published=False, by="bob@example.com")
        knowledge.add(session, title="Resetting your VPN", body="y", published=True, by="bob@example.com")
    _, html = ask(client, **PRINTER)
    assert "These may answer it already" in html
    assert f'<a href="/help/{jam}">When the printer jams</a>' in html
    assert "the draft" not in html and "VPN" not in html


def test_without_a_matching_article_none_is_offered(client: FlaskClient, mail_public: None) -> None:
    _, html = ask(client, **PRINTER)
    assert "These may answer it already" not in html


# -- the link -------------------------------------------------------------------------------------------------------


def test_the_links_page_shows_the_request_and_sends_nothing_until_its_button_is_pressed(
    client: FlaskClient, db: Database, mail_public: None
) -> None:
    ask(client, **PRINTER, service="mail")
    link = confirmation_link(db, "ann@example.org")
    for _ in range(3):  # a mail scanner, a preview, the person
        page = client.get(link)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "Send my request" in html and "Printer on floor 3 jams" in html
    assert stored(db)[0].confirmed_at is None and incidents(db) == []
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_pressing_the_button_opens_one_incident_for_the_address_with_its_service_and_acknowledges_it(
    client: FlaskClient, db: Database, settings: Settings, mail_public: None
) -> None:
    ask(client, **PRINTER, service="mail")
    code, html = press_send(client, confirmation_link(db, "ann@example.org"))
    [incident] = incidents(db)
    ref = f"INC-{incident.id}"
    assert code == 200 and f'<strong id="reference">{ref}</strong>' in html
    assert (incident.requester, incident.title, incident.source) == ("ann@example.org", PRINTER["subject"], "web")
    assert incident.description == "Since this morning.\nPage 2."
    # The address, proven its owner's, became a contact as an email's sender does, with its organisation.
    assert incident.labels == {"channel": "web", "service": "mail", "organisation": "example.org"}
    [request] = stored(db)
    assert request.incident_id == incident.id and request.sent_at is not None and request.confirmed_at is not None
    with db.read() as session:
        owed = session.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == incident.id)).all()
    [ack] = [mail for mail in owed if mail.kind == "acknowledgement"]
    assert ack.recipient == "ann@example.org" and ref in ack.subject
    track = re.search(r'href="/requests/([^"]+)" id="track"', html)
    assert track is not None  # the link the mail carries, signed for the address and the incident
    claim = request_links.LINKS.read(settings.verifying_keys, track.group(1))
    assert (claim.incident_id, claim.person) == (incident.id, "ann@example.org")
    status = client.get(f"/requests/{track.group(1)}").get_data(as_text=True)
    assert "Printer on floor 3 jams" in status and "Since this morning." in status  # their words, their page


def test_confirming_twice_gives_the_same_incident(client: FlaskClient, db: Database, mail_public: None) -> None:
    ask(client, **PRINTER)
    link = confirmation_link(db, "ann@example.org")
    page = client.get(link).get_data(as_text=True)
    first = client.post(link, data={"csrf_token": csrf_token(page)}, follow_redirects=True).get_data(as_text=True)
    again = client.post(link, data={"csrf_token": csrf_token(page)}, follow_redirects=True).get_data(as_text=True)
    [incident] = incidents(db)
    assert f"INC-{incident.id}" in first and f"INC-{incident.id}" in again
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1
        opened = select(func.count()).select_from(TimelineEntry).where(TimelineEntry.kind == "opened")
        assert session.scalar(opened) == 1


def test_while_another_press_is_sending_it_the_page_says_it_is_on_its_way_without_a_button(
    client: FlaskClient, db: Database
) -> None:
    ask(client, **PRINTER)
    link = confirmation_link(db, "ann@example.org")
    request = stored(db)[0]
    with db.transaction() as session:  # pressed in another tab, whose process is still at it (or died)
        pending_requests.take(session, Claim(request.id, request.email), utcnow())
    html = client.get(link).get_data(as_text=True)
    assert "on its way to the service desk" in html and "Send my request" not in html


def test_the_button_without_the_pages_csrf_token_sends_nothing(
    client: FlaskClient, db: Database, mail_public: None
) -> None:
    ask(client, **PRINTER)
    answer = client.post(confirmation_link(db, "ann@example.org"), data={})
    assert answer.status_code == 400 and "press the button again" in answer.get_data(as_text=True)
    assert incidents(db) == [] and stored(db)[0].confirmed_at is None


def test_a_tampered_link_is_400_and_an_expired_one_410_each_saying_to_ask_again(
    client: FlaskClient, db: Database, settings: Settings
) -> None:
    ask(client, **PRINTER)
    link = confirmation_link(db, "ann@example.org")
    cut = client.get(link[:-3])
    assert cut.status_code == 400 and "Ask again" in cut.get_data(as_text=True)
    request_id = stored(db)[0].id
    old = pending_requests.CONFIRM.sign(settings.secret_key, request_id, "ann@example.org",
                                        now=utcnow() - timedelta(hours=25))  # fmt: skip
    for expired in (client.get(f"/help/ask/confirm/{old}"), client.post(f"/help/ask/confirm/{old}")):
        assert expired.status_code == 410 and "Ask again" in expired.get_data(as_text=True)
    other_kind = request_links.LINKS.sign(settings.secret_key, request_id, "ann@example.org")
    assert client.get(f"/help/ask/confirm/{other_kind}").status_code == 400  # made for another page
    assert incidents(db) == []


def test_a_link_to_a_forgotten_request_is_410(client: FlaskClient, db: Database) -> None:
    ask(client, **PRINTER)
    link = confirmation_link(db, "ann@example.org")
    with db.transaction() as session:
        session.execute(PendingRequest.__table__.delete())
    gone = client.get(link)
    assert gone.status_code == 410 and "no longer here" in gone.get_data(as_text=True)


# -- limits ---------------------------------------------------------------------------------------------------------


def test_one_address_gets_one_confirmation_mail_in_ten_minutes_and_the_page_says_the_same(
    client: FlaskClient, db: Database
) -> None:
    _, first = ask(client, **PRINTER)
    _, second = ask(client, **{**PRINTER, "subject": "And the scanner"})
    _, stranger = ask(client, **{**PRINTER, "email": "bob@example.org"})
    assert first == second and second.replace("ann@", "X@") == stranger.replace("bob@", "X@")
    assert sorted(confirmations(db)) == ["ann@example.org", "bob@example.org"]
    assert [r.email for r in stored(db)] == ["ann@example.org", "bob@example.org"]
    with db.transaction() as session:  # ten minutes later
        session.execute(update(OutboxMessage).values(created_at=utcnow() - timedelta(minutes=11)))
    ask(client, **{**PRINTER, "subject": "And the scanner"})
    assert confirmations(db).count("ann@example.org") == 2


def test_an_address_that_bounced_our_mail_gets_none_and_the_page_says_the_same(
    client: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        session.add(BouncedAddress(address="ann@example.org", until=utcnow() + timedelta(hours=5), reason="550"))
    _, bounced = ask(client, **PRINTER)
    _, fine = ask(client, **{**PRINTER, "email": "bob@example.org"})
    assert bounced.replace("ann@", "X@") == fine.replace("bob@", "X@")
    assert confirmations(db) == ["bob@example.org"] and [r.email for r in stored(db)] == ["bob@example.org"]


def test_one_client_past_its_hourly_share_gets_429_with_retry_after_and_stores_nothing(
    settings: Settings, db: Database, redis_url: str, steady_limit_clock: None
) -> None:
    client = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    for n in range(10):
        assert ask(client, **{**PRINTER, "email": f"person{n}@example.org"})[0] == 200
    over = client.post("/help/ask", data={"csrf_token": csrf_token(client.get("/help/ask").get_data(as_text=True)),
                                          **{**PRINTER, "email": "one-too-many@example.org"}})  # fmt: skip
    assert over.status_code == 429 and 0 < int(over.headers["Retry-After"]) <= 3600
    assert "Please wait a little" in over.get_data(as_text=True)
    assert "one-too-many@example.org" not in [r.email for r in stored(db)]
    other = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    assert ask(other, **{**PRINTER, "email": "one-too-many@example.org"})[0] == 429  # the same client, a new browser
    refused = ask(client, **{**PRINTER, "email": "nobody"})  # a typo is answered, and counts nothing
    assert refused[0] == 400


def test_everyone_together_past_the_hourly_limit_gets_429(
    settings: Settings, db: Database, redis_url: str, steady_limit_clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.ratelimit.ASK_IN_ALL", 2)  # the real limit, 300, takes 300 clients to reach
    client = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    assert [ask(client, **{**PRINTER, "email": f"p{n}@example.org"})[0] for n in range(3)] == [200, 200, 429]
    assert len(stored(db)) == 2


def test_i_need_something_opens_a_service_request_and_its_page_says_what_was_asked(
    client: FlaskClient, db: Database
) -> None:
    assert 'value="request"' in client.get("/help/ask").get_data(as_text=True)
    ask(client, **PRINTER, kind="request")
    link = confirmation_link(db, "ann@example.org")
    page = client.get(link).get_data(as_text=True)
    assert '<dd id="kind">I need something</dd>' in page and "<dt>What you need</dt>" in page
    press_send(client, link)
    assert [incident.kind for incident in incidents(db)] == ["request"]


def test_something_is_broken_opens_an_incident(client: FlaskClient, db: Database) -> None:
    ask(client, **PRINTER, kind="incident")
    press_send(client, confirmation_link(db, "ann@example.org"))
    assert [incident.kind for incident in incidents(db)] == ["incident"]


def test_a_kind_the_form_does_not_offer_is_refused_beside_the_question(client: FlaskClient, db: Database) -> None:
    code, page = ask(client, **PRINTER, kind="task")
    assert code == 400 and 'id="kind-error"' in page and stored(db) == []
