"""The help centre's "My requests": the form that mails a requester a link to the list of their requests, and the
list the link opens, without a login. The same answer whatever the address, and the list shows nothing of the
desk's work or of anyone else's requests."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import catalogue, incident_notes, knowledge, my_requests, request_links, status_subscriptions, triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.models import BouncedAddress, OutboxMessage, utcnow
from tests.conftest import make_settings
from tests.emailed import ANN, mailed_in
from tests.web.helpers import Login, csrf_token, statements
from web import create_app

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def ask(client: FlaskClient, email: str) -> tuple[int, str]:
    """Fill in the form as a browser does (its CSRF token included) and send it; (status, page)."""
    token = csrf_token(client.get("/help/my-requests").get_data(as_text=True))
    answer = client.post("/help/my-requests", data={"csrf_token": token, "email": email})
    return answer.status_code, answer.get_data(as_text=True)


def list_mails(db: Database) -> list[str]:
    """The addresses mailed a link to their list."""
    with db.read() as session:
        query = select(OutboxMessage.recipient).where(OutboxMessage.kind == my_requests.KIND).order_by(OutboxMessage.id)
        return list(session.scalars(query))


def list_link(settings: Settings, address: str = ANN, **kw: object) -> str:
    return f"/help/my-requests/{my_requests.LINKS.sign(settings.secret_key, 0, address, **kw)}"  # type: ignore[arg-type]


def listed_refs(html: str) -> list[str]:
    return [part.split("</span>", 1)[0] for part in html.split('<span class="my-request-ref">')[1:]]


# -- the form -------------------------------------------------------------------------------------------------------


def test_the_help_centre_its_articles_and_the_ask_the_desk_page_link_to_the_form(
    client: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        number = knowledge.add(session, title="VPN", body="Reconnect.", published=True, by="bob@example.com").id
    for path in ("/help", f"/help/{number}", "/help/ask"):
        assert '<a href="/help/my-requests" id="my-requests">' in client.get(path).get_data(as_text=True), path
    page = client.get("/help/my-requests")
    assert page.status_code == 200 and 'name="email"' in page.get_data(as_text=True)


def test_a_known_address_is_mailed_the_link_and_an_unknown_one_gets_the_same_page_and_no_mail(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    mailed_in(intake, "Printer")
    known, unknown = ask(client, "Ann@Example.org"), ask(client, "bob@example.org")
    assert known[0] == unknown[0] == 200
    assert known[1].replace("ann@", "X@") == unknown[1].replace("bob@", "X@")
    assert "If we hold requests from ann@example.org, a link to them is on its way" in known[1]
    assert list_mails(db) == [ANN]


def test_a_second_ask_within_ten_minutes_sends_no_second_mail_and_says_the_same(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    mailed_in(intake, "Printer")
    assert ask(client, ANN) == ask(client, ANN)
    assert list_mails(db) == [ANN]


def test_an_address_that_bounced_our_mail_gets_none_and_the_page_says_the_same(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    mailed_in(intake, "Printer")
    mailed_in(intake, "VPN", requester="bob@example.org")
    with db.transaction() as session:
        session.add(BouncedAddress(address=ANN, until=utcnow() + timedelta(hours=5), reason="550"))
    bounced, fine = ask(client, ANN), ask(client, "bob@example.org")
    assert bounced[1].replace("ann@", "X@") == fine[1].replace("bob@", "X@")
    assert list_mails(db) == ["bob@example.org"]


def test_an_erased_requesters_pseudonym_is_refused_quietly(
    client: FlaskClient, db: Database, intake: Intake, settings: Settings
) -> None:
    from hub import requester_erasure

    mailed_in(intake, "Printer")
    erased = requester_erasure.erase(db, ANN, key=settings.secret_key, actor="cli").pseudonym
    status, page = ask(client, erased)
    assert status == 200 and "a link to them is on its way" in page and list_mails(db) == []


def test_anything_but_one_address_is_refused_with_the_form_again_escaped_and_no_mail(
    client: FlaskClient, db: Database
) -> None:
    status, page = ask(client, HOSTILE)
    assert status == 400 and "enter one email address" in page and HOSTILE not in page
    assert list_mails(db) == []


def test_a_form_without_its_csrf_token_is_refused_and_sends_nothing(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    mailed_in(intake, "Printer")
    answer = client.post("/help/my-requests", data={"email": ANN})
    assert answer.status_code == 400 and "out of date" in answer.get_data(as_text=True)
    assert list_mails(db) == []


def test_an_oversized_body_is_413_with_the_form_and_sends_nothing(
    client: FlaskClient, db: Database, intake: Intake
) -> None:
    mailed_in(intake, "Printer")
    token = csrf_token(client.get("/help/my-requests").get_data(as_text=True))
    answer = client.post("/help/my-requests", data={"csrf_token": token, "email": ANN, "more": "x" * 5000})
    assert answer.status_code == 413 and "too large for this form" in answer.get_data(as_text=True)
    assert list_mails(db) == []


def test_one_client_past_its_hourly_share_gets_429_with_retry_after_and_no_mail(
    settings: Settings, db: Database, intake: Intake, redis_url: str, steady_limit_clock: None
) -> None:
    mailed_in(intake, "Printer")
    client = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    for n in range(10):
        assert ask(client, f"person{n}@example.org")[0] == 200
    over, page = ask(client, ANN)
    assert over == 429 and "Please wait a little" in page and list_mails(db) == []


def test_everyone_together_past_the_hourly_limit_gets_429(
    settings: Settings, db: Database, redis_url: str, steady_limit_clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.ratelimit.MY_REQUESTS_IN_ALL", 2)  # the real limit, 300, takes 300 clients to reach
    client = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    assert [ask(client, f"p{n}@example.org")[0] for n in range(3)] == [200, 200, 429]


# -- the list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_only_that_addresses_requests_each_linking_to_its_own_page(
    client: FlaskClient, settings: Settings, intake: Intake
) -> None:
    printer, vpn = mailed_in(intake, "Printer"), mailed_in(intake, "VPN")
    bobs = mailed_in(intake, "Bob's secret project", requester="bob@example.org")
    page = client.get(list_link(settings))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and listed_refs(html) == [f"INC-{vpn}", f"INC-{printer}"]
    assert f"INC-{bobs}" not in html and "secret project" not in html
    # Each link is signed as the page is made: read back, not signed again here, whose second may be the next.
    tokens = re.findall(r'href="/requests/([^"]+)"', html)
    claims = [request_links.LINKS.read(settings.verifying_keys, token) for token in tokens]
    assert sorted((claim.incident_id, claim.person) for claim in claims) == [(printer, ANN), (vpn, ANN)]
    for token, claim in zip(tokens, claims, strict=True):
        assert f"INC-{claim.incident_id}" in client.get(f"/requests/{token}").get_data(as_text=True)


def test_a_title_with_html_is_shown_escaped(client: FlaskClient, settings: Settings, intake: Intake) -> None:
    mailed_in(intake, f"Printer {HOSTILE}")
    html = client.get(list_link(settings)).get_data(as_text=True)
    assert HOSTILE not in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_nothing_of_the_desks_work_is_shown(
    client: FlaskClient, db: Database, settings: Settings, intake: Intake, make_user: Callable[..., Login]
) -> None:
    make_user("bob@example.com")
    with db.transaction() as session:
        catalogue.add_service(session, name="payroll")
    number = mailed_in(intake, "Payslip missing")
    bob, mail = Actor("bob@example.com"), Mail(settings.desk_address, settings.base_url)
    triage.assign(db, number, "bob@example.com", bob, mail)
    triage.set_priority(db, number, 1, bob)
    triage.categorise(db, number, bob, category="hr-systems", service="payroll")
    incident_notes.add_note(db, number, "Internal: the vendor is slow", bob)
    html = client.get(list_link(settings)).get_data(as_text=True)
    assert listed_refs(html) == [f"INC-{number}"]
    for desk_work in ("bob@example.com", "hr-systems", "payroll", "vendor", ">P1<", "Priority"):
        assert desk_work not in html, desk_work


def test_an_address_with_no_requests_is_told_so(client: FlaskClient, settings: Settings) -> None:
    html = client.get(list_link(settings)).get_data(as_text=True)
    assert 'id="none"' in html and listed_refs(html) == []


def test_older_requests_left_out_are_counted(
    client: FlaskClient, db: Database, settings: Settings, intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hub.my_requests.SHOWN", 2)
    for title in ("One", "Two", "Three"):
        mailed_in(intake, title)
    html = client.get(list_link(settings)).get_data(as_text=True)
    assert len(listed_refs(html)) == 2 and "1 older request is not shown" in html


def test_the_list_is_one_query_and_a_count_however_many_requests(
    client: FlaskClient, settings: Settings, intake: Intake, db: Database
) -> None:
    def queries() -> tuple[int, int]:
        """(statements sent, those reading incidents) for the page."""
        with statements(db) as sent:
            assert client.get(list_link(settings)).status_code == 200
        return len(sent), sum(1 for statement in sent if "FROM incidents" in statement)

    mailed_in(intake, "One")
    one = queries()
    for n in range(19):
        mailed_in(intake, f"Request {n}")
    assert one == queries() and one[1] == 2


def test_a_request_merged_into_someone_elses_says_what_became_of_it_in_one_query_more_however_many(
    client: FlaskClient, settings: Settings, intake: Intake, db: Database
) -> None:
    def page() -> tuple[str, int]:
        with statements(db) as sent:
            html = client.get(list_link(settings)).get_data(as_text=True)
        return html, sum(1 for statement in sent if "FROM incidents" in statement)

    bobs = mailed_in(intake, "Bob: all printers jam", "bob@example.org")
    mail, agent = Mail(settings.desk_address, settings.base_url), Actor("agent@example.com")
    triage.merge(db, mailed_in(intake, "Printer jams"), bobs, agent, mail)
    triage.change_status(db, bobs, "resolve", agent, mail)
    html, one = page()
    assert f'<p class="my-request-outcome">INC-{bobs} was resolved: we think it is fixed.' in html
    for n in range(3):
        triage.merge(db, mailed_in(intake, f"Printer jams {n}"), bobs, agent, mail)
    html, four = page()
    assert html.count('class="my-request-outcome"') == 4 and one == four == 3


# -- links that do not work -----------------------------------------------------------------------------------------


def test_an_expired_link_is_410_and_offers_to_ask_again(client: FlaskClient, settings: Settings) -> None:
    old = client.get(list_link(settings, now=utcnow() - my_requests.LINKS.lifetime - timedelta(minutes=1)))
    html = old.get_data(as_text=True)
    assert old.status_code == 410 and "links work for 24 hours" in html
    assert '<a href="/help/my-requests" class="button" id="ask-again">Ask for a new link</a>' in html


def test_a_request_link_or_a_status_link_pasted_here_is_refused(
    client: FlaskClient, settings: Settings, intake: Intake
) -> None:
    number = mailed_in(intake, "Printer")
    for other in (request_links.LINKS.sign(settings.secret_key, number, ANN),
                  status_subscriptions.CONFIRM.sign(settings.secret_key, 1, ANN)):  # fmt: skip
        refused = client.get(f"/help/my-requests/{other}")
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400 and 'id="ask-again"' in html and "Printer" not in html


def test_the_mailed_link_is_the_address_list(client: FlaskClient, db: Database, intake: Intake) -> None:
    number = mailed_in(intake, "Printer")
    ask(client, ANN)
    with db.read() as session:
        facts = session.scalars(select(OutboxMessage.facts).where(OutboxMessage.kind == my_requests.KIND)).one()
    html = client.get(urlsplit(facts["list_url"]).path).get_data(as_text=True)
    assert listed_refs(html) == [f"INC-{number}"]
