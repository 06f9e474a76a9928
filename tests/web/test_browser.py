"""A real Chromium, driven through Playwright, logs in, finds an incident, opens it and logs out.

It serves the app with werkzeug on a free loopback port, so the browser sees real cookies, real redirects, the
real Content-Security-Policy and the real stylesheet. Debian's Chromium is used as installed: never run
`playwright install`, which downloads a browser.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from sqlalchemy import insert, select
from werkzeug.serving import make_server

from hub import (
    accounts,
    ack_links,
    approval_links,
    approvals,
    assignees,
    catalogue,
    cis,
    groups,
    incident_notes,
    knowledge,
    mentions,
    oncall,
    request_links,
    totp,
    triage,
)
from hub.agent_action import Actor, Mail
from hub.config import OidcSettings, Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Article, ConfigurationItem, Incident, OutboxMessage, SatisfactionAnswer, User, utcnow
from hub.net import free_port
from hub.outbox_admin import PAGE
from hub.saved_replies import add_reply
from ingest.mail_intake import store_message
from outbound import runtime
from outbound.queue import connect, make_queue
from tests.delivery import Mailing, signal_handlers_kept
from tests.oidc_provider import Provider
from tests.servers import SmtpSink, missing
from tests.staff import agents
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, add_people, console_errors, policy_violations
from web import create_app
from web.services import services

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One Chromium for a module's tests: launching it cost each test a second or more. Each test still gets a
    fresh context (`page`): its own cookies, storage and cache, as a new browser would have."""
    if shutil.which(CHROMIUM) is None:
        missing(CHROMIUM, "the Debian package chromium")
    try:
        from playwright.sync_api import sync_playwright  # an optional test dependency
    except ImportError:
        missing("The playwright package", "the test extras: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
    finally:
        context.close()


def _post_event(base_url: str, integration: IntegrationCredentials, payload: dict[str, object]) -> str:
    request = urllib.request.Request(
        f"{base_url}/api/v1/events/{integration.name}",
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {integration.secret}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        ref: str = json.load(response)["incident"]
        return ref


def _log_in(page: Page, base_url: str, user: Login, lands: str = "/incidents") -> None:
    """Open the incidents, give the password on the login page it leads to, and wait for `lands` (the second
    step's page, for someone with two-factor)."""
    page.goto(f"{base_url}/incidents")
    page.wait_for_url("**/login?next=*")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", user.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{lands}")


def _open_new_incident(
    page: Page, base_url: str, user: Login, integration: IntegrationCredentials, payload: dict[str, object]
) -> str:
    """Raise an incident of `payload`, log `user` in and open its page: where the incident page's tests start."""
    ref = _post_event(base_url, integration, payload)
    _log_in(page, base_url, user)
    page.goto(f"{base_url}/incidents/{ref}")
    return ref


def _colleague(make_user: Callable[..., Login], db: Database, email: str, name: str) -> None:
    """A colleague to mention, known by display name `name`."""
    make_user(email=email)
    with db.transaction() as session:
        accounts.set_display_name(session, email, name)


def test_agent_logs_in_sees_incident_opens_it_safely_and_logs_out(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    csp_violations = policy_violations(page)

    plain = _post_event(live_url, integration, {"title": "Disk full on db1", "severity": "critical"})
    hostile = _post_event(live_url, integration, {"title": HOSTILE, "description": HOSTILE})

    _log_in(page, live_url, user)
    assert page.locator("table.incidents").get_by_text(plain, exact=True).is_visible()
    assert page.get_by_role("link", name="Disk full on db1").is_visible()
    # The stylesheet was allowed by the CSP and applied (the brand is bold only through app.css).
    assert page.locator(".brand").evaluate("el => getComputedStyle(el).fontWeight") == "700"

    page.get_by_role("link", name=hostile, exact=True).click()
    page.wait_for_url(f"{live_url}/incidents/{hostile}")
    assert page.locator("h1.incident-title").inner_text() == HOSTILE
    assert page.locator("main img, main script").count() == 0
    assert page.get_by_role("heading", name="Timeline").is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_url}/login")
    assert page.get_by_text("You have been logged out.").is_visible()
    page.goto(f"{live_url}/incidents")
    page.wait_for_url("**/login?next=*")

    assert dialogs == [], f"a script ran: {dialogs}"
    assert csp_violations == [], csp_violations


def test_agent_opens_the_server_an_alert_is_about_from_its_incident_on_a_phone(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials, db: Database
) -> None:
    """The alert's `instance` label links the incident to its CI; the CI's page shows the incident and its impact."""
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
        cis.create(session, cis.CiFields("db1.example.com", "database", service="mail", owner="dba",
                                         attributes={"ip": "10.0.0.5", "rack": HOSTILE}))  # fmt: skip
        app = cis.create(session, cis.CiFields("webmail", "application", service="mail"))
        cis.set_dependencies(session, app, ["db1.example.com"])
    ref = _post_event(live_url, integration, {"title": "Disk full", "labels": {"instance": "db1.example.com:9100"}})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_viewport_size({"width": 375, "height": 700})
    _log_in(page, live_url, user)
    page.goto(f"{live_url}/incidents/{ref}")
    page.locator("#incident-ci").get_by_role("link", name="db1.example.com").click()
    page.wait_for_url(f"{live_url}/cis/db1.example.com")
    assert page.locator("h1").inner_text() == "db1.example.com"
    assert page.locator("#open-incidents").get_by_role("link", name=ref).is_visible()
    assert page.locator("#impact").get_by_role("link", name="webmail").is_visible()
    assert page.locator("#attributes").get_by_text(HOSTILE).is_visible()  # shown as text, never run
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the CI page scrolls sideways on a phone"
    _screenshot(page, "ci-detail-phone")
    assert dialogs == []


def test_incident_list_fits_a_phone_screen(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials
) -> None:
    _post_event(live_url, integration, {"title": "A rather long title " * 8, "labels": {"team": "db"}})
    page.set_viewport_size({"width": 375, "height": 700})
    _log_in(page, live_url, user)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the incident list scrolls sideways on a phone ({width}px wide)"


def test_on_a_phone_the_first_incident_shows_without_scrolling_and_the_folded_filters_open_and_search(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials
) -> None:
    for title in ("Disk full on db1", "Printer jammed", "VPN drops"):
        _post_event(live_url, integration, {"title": title})
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_url, user)
    first = page.locator("table.incidents tbody tr").first.bounding_box()
    assert first is not None and first["y"] + first["height"] <= 844, f"the first incident is below the fold: {first}"
    assert not page.locator("#q").is_visible() and not page.locator("#bulk-action").is_visible()
    _screenshot(page, "incident-list-phone")
    page.get_by_text("Search and filters").focus()  # the keyboard's way: Tab to the summary, Enter
    page.keyboard.press("Enter")
    page.locator("#q").fill("Printer")
    page.locator("#q").press("Enter")
    page.wait_for_url(f"{live_url}/incidents?q=Printer&*")
    assert page.locator("td.title a").all_inner_texts() == ["Printer jammed"]
    assert page.get_by_text("Search and filters (filtered)").is_visible()  # folded again, saying it narrows
    page.get_by_text("With the ticked incidents…").click()
    assert page.locator("#bulk-action").is_visible()
    page.set_viewport_size({"width": 1280, "height": 800})  # a wide screen: nothing folded, no summary to press
    assert page.locator("#q").is_visible() and page.locator("#bulk-action").is_visible()
    assert not page.get_by_text("Search and filters").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    _screenshot(page, "incident-list-wide")


def test_on_a_phone_the_navigation_is_one_row_that_tab_scrolls_through(
    live_url: str, page: Page, make_user: Callable[..., Login]
) -> None:
    page.set_viewport_size({"width": 375, "height": 700})
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    nav = page.get_by_role("navigation", name="Main")
    rows = set(nav.get_by_role("link").evaluate_all("ls => ls.map(l => Math.round(l.getBoundingClientRect().y))"))
    assert len(rows) == 1, f"the links take {len(rows)} rows"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways"
    last = nav.get_by_role("link", name="Audit")
    last.focus()  # as Tab reaches it: the row scrolls it into view
    box = last.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375
    last.press("Enter")
    page.wait_for_url(f"{live_url}/audit")
    _screenshot(page, "navigation-phone")


def test_agent_opens_their_teams_queue_sorts_it_and_the_filters_fit_a_phone(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials, db: Database
) -> None:
    with db.transaction() as session:
        groups.save_group(session, "network", [user.email])
    theirs = _post_event(live_url, integration, {"title": "Switch down in rack 4"})
    _post_event(live_url, integration, {"title": "Printer jammed"})  # the service desk's, by the default rule
    triage.assign(db, int(theirs.removeprefix("INC-")), "network", Actor("root"), Mail("helpdesk@localhost", live_url))
    _log_in(page, live_url, user)
    page.get_by_role("link", name="My queue").click()
    page.wait_for_url(f"{live_url}/incidents?queue=mine")
    page.get_by_role("link", name="Priority", exact=True).click()  # the column headers sort on a wide screen
    page.wait_for_url(f"{live_url}/incidents?queue=mine&sort=priority")
    assert page.get_by_role("link", name="My queue").get_attribute("aria-current") == "true"
    assert page.locator("a.ref").all_inner_texts() == [theirs]
    page.set_viewport_size({"width": 375, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the list scrolls sideways on a phone"
    _screenshot(page, "my-queue-phone")


def test_agent_marks_a_request_on_its_page_and_the_list_badges_and_filters_it(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials
) -> None:
    wanted = _post_event(live_url, integration, {"title": "Access to the wiki"})
    _post_event(live_url, integration, {"title": "Disk full on db1"})
    _log_in(page, live_url, user)
    page.goto(f"{live_url}/incidents/{wanted}")
    page.locator("#kind").select_option("request")
    page.locator("#kind").locator("xpath=..").get_by_role("button", name="Set").click()
    page.get_by_text(f"{wanted} now a service request").wait_for()
    page.goto(f"{live_url}/incidents")
    assert page.locator("tr:has(.request-badge) a.ref").all_inner_texts() == [wanted]
    page.get_by_role("navigation", name="Filter by kind").get_by_role("link", name="Service requests").click()
    page.wait_for_url(f"{live_url}/incidents?kind=request")
    assert page.locator("a.ref").all_inner_texts() == [wanted]
    _screenshot(page, "incident-list-requests")


def _screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page under test-output/ so a person can look at what the test saw."""
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS", "test-output/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_agent_triages_an_emailed_incident_end_to_end(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], intake: Intake, db: Database
) -> None:
    make_user(email="bob@example.com")
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: VPN\r\n\r\nVPN drops every hour")
    event = InboundEvent(source="email", title="VPN drops every hour", requester="ann@example.org",
                         description="It started on Monday.", message_id="<vpn-1@example.org>")  # fmt: skip
    ref = intake.record(raw, event).ref
    _log_in(page, live_url, user)
    page.goto(f"{live_url}/incidents/{ref}")
    _screenshot(page, "incident-detail")

    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text(f"{ref} now acknowledged.").wait_for()
    page.fill("#assignee", "bob@example.com")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text(f"{ref} assigned to bob@example.com.").wait_for()
    with db.transaction() as session:
        add_reply(session, name="VPN update", text="Please update the VPN client to 5.2 and tell us if it still drops.",
                  by="agent@example.com")  # fmt: skip
    page.reload()
    page.get_by_role("link", name="VPN update").click()  # a saved reply starts the box
    assert page.locator("#reply-text").input_value().startswith("Please update the VPN client to 5.2")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text(f"{ref} reply queued to ann@example.org.").wait_for()
    page.fill("#resolution-text", "Updated the VPN client to 5.2; no drops since.")
    page.get_by_role("button", name="Resolve with this note").click()
    page.get_by_text(f"{ref} now resolved.").wait_for()
    assert page.locator("#resolution").inner_text().endswith("Updated the VPN client to 5.2; no drops since.")
    assert page.get_by_role("button", name="Reopen").is_visible()
    _screenshot(page, "incident-resolved")

    with db.read() as session:
        incident = session.get(Incident, int(ref.removeprefix("INC-")))
        assert incident is not None
        assert (incident.status, incident.assignee) == ("resolved", "bob@example.com")
        kinds = {row.kind: row.recipient for row in session.scalars(select(OutboxMessage))}
    assert kinds["reply"] == "ann@example.org" and kinds["assigned"] == "bob@example.com"
    assert incident.resolution == "Updated the VPN client to 5.2; no drops since."
    timeline = page.locator("ol.timeline").inner_text()
    for step in ("Acknowledged by", "Assigned to bob@example.com", "Reply by", "Resolved by"):
        assert step in timeline

    for name in ("incidents", "dashboard"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name.capitalize()).click()
        page.wait_for_url(f"{live_url}/{name}")
        _screenshot(page, name)
    assert page.locator("#mttr").inner_text() != "—"  # the incident just resolved counts


def test_agent_declares_a_major_incident_sees_its_banner_resolves_it_and_publishes_its_review(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], integration: IntegrationCredentials,
    db: Database,
) -> None:  # fmt: skip
    make_user(email="bob@example.com")
    ref = _post_event(live_url, integration, {"title": "Payroll is down", "severity": "critical"})
    _post_event(live_url, integration, {"title": "Printer jams"})
    _log_in(page, live_url, user)
    page.goto(f"{live_url}/incidents/{ref}")
    page.get_by_text("Declare a major incident").click()  # the form folds out, without script
    page.fill("#major-reason", "Nobody can run payroll")
    page.fill("#major-coordinator", "bob@example.com")
    page.get_by_role("button", name="Declare major incident").click()
    page.get_by_text(f"{ref} is a major incident, coordinated by bob@example.com.").wait_for()
    _screenshot(page, "major-incident")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    banner = page.locator("#major-incidents")
    said = banner.inner_text()
    assert "1 major incident in progress" in said and "coordinator bob@example.com" in said
    _screenshot(page, "major-incident-banner")
    banner.get_by_role("link", name=ref).click()
    page.fill("#resolution-text", "Freed disk on the payroll database.")
    page.get_by_role("button", name="Resolve with this note").click()
    page.get_by_text(f"{ref} now resolved.").wait_for()

    page.get_by_role("button", name="Start review").click()
    page.get_by_text(f"{ref} has its review started.").wait_for()
    page.fill("#review-summary", "Payroll stopped at 02:00:\nthe <database> ran out of disk.")
    page.fill("#review-root_cause", "Its logs were never rotated.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text(f"{ref} has its review saved.").wait_for()
    page.fill("#action-text", "Alert on disk use at 80%")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text(f"{ref} has a new follow-up action.").wait_for()
    page.get_by_role("button", name="File as problem").click()
    page.get_by_text(f"{ref} has that follow-up tracked as PRB-1.").wait_for()
    page.get_by_role("button", name="Publish review").click()
    page.get_by_text(f"{ref} has its review published.").wait_for()
    assert page.locator("#review-state").text_content() == "published"
    assert page.locator("#review-summary").inner_text() == "Payroll stopped at 02:00:\nthe <database> ran out of disk."
    assert page.locator("#follow-ups").get_by_role("link", name="PRB-1").is_visible()
    _screenshot(page, "review-published")

    page.goto(f"{live_url}/dashboard")
    assert page.locator("#major-incidents").count() == 0
    with db.read() as session:
        mailed = {(row.kind, row.recipient) for row in session.scalars(select(OutboxMessage))}
    assert {("major_declared", "bob@example.com"), ("review_published", "bob@example.com")} <= mailed


def test_requester_answers_how_did_we_do_from_the_resolution_mail_without_logging_in(
    live_url: str, page: Page, intake: Intake, db: Database, settings: Settings
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    policy = policy_violations(page)
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")
    event = InboundEvent(source="email", title="Printer jams", requester="ann@example.org",
                         message_id="<jam-1@example.org>")  # fmt: skip
    incident_id = intake.record(raw, event).incident_id
    assert incident_id is not None
    mail = Mail(settings.desk_address, settings.base_url, secret_key=settings.secret_key)
    triage.change_status(db, incident_id, "resolve", Actor("agent@example.com"), mail)
    with db.read() as session:
        sent = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "resolved")).one()
    assert sent.facts is not None
    good = next(c["url"] for c in sent.facts["survey"] if c["rating"] == "good")
    link = live_url + good.removeprefix(settings.base_url)  # the mail links to the configured base URL

    page.goto(link)
    assert page.get_by_label("Good").is_checked() and not page.get_by_label("Bad").is_checked()
    _screenshot(page, "satisfaction")
    page.fill("#comment", HOSTILE)
    page.get_by_role("button", name="Send").click()
    page.get_by_text("your answer was recorded").wait_for()
    assert page.get_by_label("Good").is_checked()
    assert page.locator("#comment").input_value() == HOSTILE
    assert page.locator("main img, main script").count() == 0
    with db.read() as session:
        answer = session.get(SatisfactionAnswer, incident_id)
    assert answer is not None and (answer.rating, answer.comment) == ("good", HOSTILE)

    response = page.goto(link.replace("?", "x?"))  # a link cut or changed on its way
    assert response is not None and response.status == 400
    assert page.get_by_text("reply to the email we sent you").is_visible()
    assert dialogs == [] and policy == [], (dialogs, policy)


def test_paged_agent_acknowledges_from_the_mail_link_on_a_phone_without_logging_in(
    live_url: str, page: Page, intake: Intake, db: Database, settings: Settings, make_user: Callable[..., Login]
) -> None:
    policy = policy_violations(page)
    make_user(email="ann@example.com")
    raw = Raw(source="generic", content_type="application/json", body=b"{}")
    incident_id = intake.record(raw, InboundEvent(source="generic", title="Disk full on db1", dedup_key="disk")
                                ).incident_id  # fmt: skip
    assert incident_id is not None
    token = ack_links.LINKS.sign(settings.secret_key, incident_id, "ann@example.com")
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_url}/ack/{token}")
    button = page.get_by_role("button", name="Acknowledge as ann@example.com")
    assert button.is_visible() and page.evaluate("document.documentElement.scrollWidth") <= 375
    _screenshot(page, "acknowledge")
    button.click()
    page.get_by_text("Acknowledged as ann@example.com").wait_for()
    assert page.locator("#status").inner_text() == "acknowledged"
    with db.read() as session:
        assert session.get_one(Incident, incident_id).status == "acknowledged"
    assert policy == [], policy


def test_a_manager_approves_from_the_mail_link_on_a_phone_without_logging_in(
    live_url: str, page: Page, intake: Intake, db: Database, settings: Settings, make_user: Callable[..., Login]
) -> None:
    policy = policy_violations(page)
    make_user(email="agent@example.com")
    make_user(email="manager@example.com", role="viewer")
    raw = Raw(source="generic", content_type="application/json", body=b"{}")
    incident_id = intake.record(raw, InboundEvent(source="generic", title="A laptop for Carol", dedup_key="laptop")
                                ).incident_id  # fmt: skip
    assert incident_id is not None
    asked = approvals.ask(db, incident_id, "manager@example.com", "Within budget?", Actor("agent@example.com"),
                          Mail("desk@example.com", live_url))  # fmt: skip
    token = approval_links.LINKS.sign(settings.secret_key, asked.id, "manager@example.com")
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_url}/approve/{token}")
    assert page.get_by_text("Within budget?").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _screenshot(page, "approve")
    page.fill("#comment", "Go ahead")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved as manager@example.com").wait_for()
    assert page.locator("#approval-state").inner_text() == "approved"
    with db.read() as session:
        assert approvals.get(session, asked.id).comment == "Go ahead"
    assert policy == [], policy


def test_agent_posts_a_public_note_that_the_status_page_shows_on_a_phone(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials, db: Database
) -> None:
    policy = policy_violations(page)
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True, description="Email for everyone")
    mx1 = {"title": "mx1 queue", "severity": "critical", "labels": {"service": "mail"}}
    _open_new_incident(page, live_url, user, integration, mx1)
    page.get_by_text("Public status note").click()
    page.get_by_label("What the public status page says").fill("Outgoing mail is delayed; back by 14:00.")
    page.get_by_role("button", name="Save public note").click()
    page.get_by_text("has a public status note").wait_for()
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_url}/status")
    assert page.locator("#headline").inner_text() == "Some systems are down"
    assert page.get_by_text("Outgoing mail is delayed; back by 14:00.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _screenshot(page, "status")
    assert policy == [], policy


def test_a_visitor_subscribes_to_status_updates_from_the_status_page_on_a_phone(
    live_url: str, page: Page, db: Database
) -> None:
    policy = policy_violations(page)
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True, description="Email for everyone")
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_url}/status")
    page.get_by_role("link", name="Get updates by email").click()
    page.get_by_label("Your email address").fill("ann@example.org")
    _screenshot(page, "status-subscribe")
    page.get_by_role("button", name="Send me updates").click()
    page.get_by_text("Check your email").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with db.read() as session:
        [owed] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "status_confirmation"))
    assert owed.facts is not None
    page.goto(f"{live_url}{urlsplit(owed.facts['confirm_url']).path}")
    _screenshot(page, "status-confirm")
    page.get_by_role("button", name="Yes, send me updates").click()
    page.get_by_text("Confirmed: ann@example.org").wait_for()
    _screenshot(page, "status-subscribed")
    assert policy == [], policy


def test_agent_publishes_an_article_that_the_help_centre_shows_on_a_phone(
    live_url: str, page: Page, user: Login
) -> None:
    policy = policy_violations(page)
    _log_in(page, live_url, user)
    page.get_by_role("link", name="Knowledge", exact=True).click()
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("When the printer jams")
    page.get_by_label("Keywords").fill("paper, toner")
    page.get_by_label("Text").fill(f"Open tray 2.\nPull the sheet out gently. {HOSTILE}")
    page.get_by_label("Published").check()
    _screenshot(page, "article-edit")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved and published").wait_for()
    page.get_by_role("link", name="in the help centre").click()
    page.set_viewport_size({"width": 375, "height": 700})
    assert page.locator("h1").inner_text() == "When the printer jams"
    assert page.locator("#article-body").inner_text() == f"Open tray 2.\nPull the sheet out gently. {HOSTILE}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _screenshot(page, "help-article")
    assert policy == [], policy


def test_a_reader_says_an_article_helped_and_is_thanked_on_a_phone(live_url: str, page: Page, db: Database) -> None:
    policy = policy_violations(page)
    with db.transaction() as session:
        number = knowledge.add(session, title="When the printer jams", body="Open tray 2.", published=True,
                               by="ann@example.com").id  # fmt: skip
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_url}/help/{number}")
    _screenshot(page, "help-helpful")
    page.get_by_role("button", name="Yes", exact=True).click()
    page.get_by_text("Thank you for your answer").wait_for()
    assert page.get_by_role("button", name="Yes", exact=True).count() == 0
    page.reload()  # the cookie remembers the answer
    page.get_by_text("Thank you for your answer").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with db.read() as session:
        found = session.get(Article, number)
        assert found is not None and (found.helpful, found.not_helpful) == (1, 0)
    assert policy == [], policy


@dataclasses.dataclass(frozen=True)
class MailingSite(Mailing):
    """The app served on loopback, its mail delivered through RQ and the relay to the test's SMTP sink."""

    url: str


@pytest.fixture
def mailing_site(settings: Settings, db: Database, redis_url: str, smtp_sink: SmtpSink) -> Iterator[MailingSite]:
    base = f"http://127.0.0.1:{free_port()}"  # the mail's links lead back to the live server
    relayed = dataclasses.replace(settings, public_url=base, redis_url=redis_url, smtp_relay=smtp_sink.url)
    runtime.install(relayed, db)
    connection = connect(redis_url)
    app = create_app(relayed, db=db)
    server = make_server("127.0.0.1", int(base.rsplit(":", 1)[1]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        with signal_handlers_kept():
            yield MailingSite(db, make_queue(connection), smtp_sink, base)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        runtime.reset()
        connection.close()
        with app.app_context():
            services().close()


def test_a_requester_asks_the_desk_on_a_phone_and_sends_it_from_the_link_in_their_mail(
    mailing_site: MailingSite, page: Page
) -> None:
    policy = policy_violations(page)
    with mailing_site.db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
        knowledge.add(session, title="When the printer jams", body="Open tray 2.", keywords="printer, jam",
                      published=True, by="bob@example.com")  # fmt: skip
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{mailing_site.url}/help")
    page.get_by_role("link", name="Ask the desk").click()
    page.get_by_label("Your email address").fill("ann@example.org")
    page.get_by_label("Subject").fill("The printer jams on floor 3")
    page.get_by_label("What happened").fill(f"Since this morning, every second page. {HOSTILE}")
    page.get_by_label("Which service").select_option("mail")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the form scrolls sideways on a phone"
    _screenshot(page, "ask-the-desk")
    page.get_by_role("button", name="Ask the desk").click()
    page.get_by_text("Check your email").wait_for()
    assert page.get_by_role("link", name="When the printer jams").is_visible()  # it may answer it already
    _screenshot(page, "ask-the-desk-sent")

    mailing_site.deliver()
    [mail] = mailing_site.sink.handler.wait_for(1)
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = next(word for word in text.split() if "/help/ask/confirm/" in word)
    page.goto(link)
    assert page.locator("#body").inner_text() == f"Since this morning, every second page. {HOSTILE}"
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _screenshot(page, "ask-the-desk-confirm")
    page.get_by_role("button", name="Send my request").click()
    page.locator("#reference").wait_for()
    reference = page.locator("#reference").inner_text()
    with mailing_site.db.read() as session:
        [incident] = session.scalars(select(Incident))
    assert reference == f"INC-{incident.id}" and incident.requester == "ann@example.org"
    _screenshot(page, "ask-the-desk-done")
    page.get_by_role("link", name="Follow your request").click()
    assert page.locator("#state").inner_text() == "Open"
    assert policy == [], policy


def test_a_requester_asks_for_their_requests_on_a_phone_and_opens_one_from_the_mailed_list(
    mailing_site: MailingSite, page: Page, intake: Intake
) -> None:
    problems = console_errors(page)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    raw = Raw(source="email", content_type="message/rfc822", body=b"x")
    for n, title in enumerate(("VPN drops every hour", f"Printer jams {HOSTILE}")):
        mail = InboundEvent(source="email", title=title, requester="ann@example.org", message_id=f"<{n}@example.org>")
        assert intake.record(raw, mail).incident_id is not None
    mailing_site.deliver()  # the acknowledgements
    already = len(mailing_site.sink.handler.received)
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{mailing_site.url}/help/ask")
    page.get_by_role("link", name="See my requests").click()
    page.get_by_label("Your email address").fill("ann@example.org")
    _screenshot(page, "my-requests-ask")
    page.get_by_role("button", name="Email me the link").click()
    page.get_by_text("a link to them is on its way").wait_for()

    mailing_site.deliver()
    [mail] = mailing_site.sink.handler.wait_for(already + 1)[already:]
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page.goto(next(word for word in text.split() if "/help/my-requests/" in word))
    entries = page.locator("#requests li")
    assert entries.count() == 2 and f"Printer jams {HOSTILE}" in entries.first.inner_text()
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the list scrolls sideways on a phone"
    _screenshot(page, "my-requests-list")
    page.get_by_role("link", name="VPN drops every hour").click()
    assert page.locator("#state").inner_text() == "Open" and page.locator("h1").inner_text() == "VPN drops every hour"
    assert problems == [], problems


def test_a_requester_reads_their_request_on_a_phone_replies_and_says_it_is_solved(
    live_url: str, page: Page, intake: Intake, db: Database, settings: Settings
) -> None:
    policy = policy_violations(page)
    raw = Raw(source="email", content_type="message/rfc822", body=b"x")
    mail = InboundEvent(source="email", title="Printer on floor 3", description=f"It jams. {HOSTILE}",
                        requester="ann@example.org", message_id="<jam@example.org>")  # fmt: skip
    incident_id = intake.record(raw, mail).incident_id
    assert incident_id is not None
    incident_notes.reply(db, incident_id, "Please open tray 2 and pull the sheet out.", Actor("bob@example.com"),
                         Mail("desk@example.com", settings.base_url))  # fmt: skip
    incident_notes.add_note(db, incident_id, "Internal: toner supplier is late again", Actor("bob@example.com"))
    token = request_links.LINKS.sign(settings.secret_key, incident_id, "ann@example.org")
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_url}/requests/{token}")
    said = page.locator("ol.conversation").inner_text()
    assert f"It jams. {HOSTILE}" in said and "Please open tray 2" in said and "The service desk" in said
    assert "toner supplier" not in page.content() and "bob@example.com" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _screenshot(page, "request-conversation")
    page.get_by_label("Reply").fill("Pulled it out; it jams again on the next page.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Your reply is added").wait_for()
    # the status message takes the focus (autofocus, which the browser applies once the page has loaded: waited for)
    page.wait_for_function("document.activeElement !== null && document.activeElement.id === 'replied'")
    assert "it jams again on the next page" in page.locator("ol.conversation").inner_text()
    page.get_by_role("button", name="It is solved: close my request").click()
    page.get_by_text("we have marked it resolved").wait_for()
    assert page.locator("#state").inner_text() == "Resolved"
    assert policy == [], policy


def test_agent_turns_on_two_factor_with_the_key_the_page_shows_and_logs_in_with_a_code(
    live_url: str, page: Page, user: Login
) -> None:
    problems = console_errors(page)
    _log_in(page, live_url, user)
    page.goto(f"{live_url}/account")
    page.click("text=Turn on two-factor authentication")
    page.wait_for_url(f"{live_url}/account/two-factor")
    qr_width = page.eval_on_selector("img[alt^='QR code']", "img => img.naturalWidth")
    assert qr_width > 0  # the QR code is drawn, not blocked by the Content-Security-Policy
    secret = page.inner_text("#two-factor-key").replace(" ", "")
    page.fill("input[name=password]", user.password)
    page.fill("input[name=code]", totp.code_at(secret, totp.step_at(time.time())))
    page.click("button:has-text('Turn on')")
    page.wait_for_url(f"{live_url}/account#new-recovery-codes")  # shown once, on the page the answer redirects to
    codes = page.locator("ol.recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    _screenshot(page, "recovery-codes")
    page.click("text=Done, I have kept them")
    page.wait_for_url(f"{live_url}/account")
    assert page.locator("ol.recovery-codes li").count() == 0
    page.click("button:has-text('Log out')")
    _log_in(page, live_url, user, lands="/login/code")
    page.fill("input[name=code]", totp.code_at(secret, totp.step_at(time.time()) + 1))  # the next step's: unused
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/incidents")
    assert problems == [], problems


def _with_a_key(page: Page) -> None:
    """A virtual security key on this browser (Chromium's DevTools WebAuthn domain): it answers
    navigator.credentials as a YubiKey would, touched at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {"protocol": "ctap2", "transport": "usb",
             "hasResidentKey": True, "hasUserVerification": True, "isUserVerified": True}})  # fmt: skip


def test_agent_adds_a_security_key_keeps_its_recovery_codes_logs_in_with_it_renames_and_removes_it(
    live_url: str, chromium: Browser, page: Page, user: Login
) -> None:
    # WebAuthn wants a domain, not an IP address: the same server by the name localhost.
    site = live_url.replace("127.0.0.1", "localhost")
    problems = console_errors(page)
    _with_a_key(page)
    _log_in(page, site, user)
    page.goto(f"{site}/account")
    page.fill("#security-key-name", "YubiKey 5")
    page.fill("#security-key-password", user.password)
    page.click("button:has-text('Add a security key')")
    page.locator("ol.recovery-codes li").nth(9).wait_for()  # a first key: its recovery codes, shown once
    codes = page.locator("ol.recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and page.url == f"{site}/account"
    # The page around the codes is drawn anew: the two-factor card no longer says "Off", the codes are counted.
    page.get_by_text("Security key 'YubiKey 5' added").wait_for()
    two_factor = page.locator("#two-factor")
    assert two_factor.get_by_text("Your security keys are your second step").is_visible()
    assert not two_factor.get_by_text("Off: logging in wants only your password").is_visible()
    assert page.locator("#recovery-codes").get_by_text("10 recovery codes left").is_visible()
    assert page.locator("ol.recovery-codes li").all_inner_texts() == codes
    _screenshot(page, "security-key-recovery-codes")
    page.click("button:has-text('Done, I have kept them')")
    page.wait_for_url(f"{site}/account#security-keys")
    page.locator("table.keys tr", has_text="YubiKey 5").wait_for()
    assert page.locator("#recovery-codes").get_by_text("10 recovery codes left").is_visible()
    row = page.locator("table.keys tr", has_text="YubiKey 5")
    row.get_by_text("Rename").click()
    row.locator("input[name=name]").fill("Spare key")
    row.locator("button:has-text('Save the name')").click()
    page.get_by_text("Security key 'YubiKey 5' is now 'Spare key'").wait_for()
    page.click("button:has-text('Log out')")

    _log_in(page, site, user, lands="/login/code")
    page.click("button:has-text('Use your security key')")
    page.wait_for_url(f"{site}/incidents")

    other = chromium.new_context()
    try:
        stranger = other.new_page()
        stranger.set_default_timeout(15_000)
        _with_a_key(stranger)  # a key, but not the one registered
        stranger.goto(f"{site}/login")
        stranger.fill("input[name=email]", user.email)
        stranger.fill("input[name=password]", user.password)
        stranger.click("button[type=submit]")
        stranger.wait_for_url(f"{site}/login/code")
        stranger.click("button:has-text('Use your security key')")
        stranger.locator("[data-security-key-error]").wait_for()
        assert stranger.url == f"{site}/login/code"
        assert stranger.goto(f"{site}/incidents").url.startswith(f"{site}/login")  # type: ignore[union-attr]
    finally:
        other.close()

    page.goto(f"{site}/account")
    row = page.locator("table.keys tr", has_text="Spare key")
    row.locator("input[type=password]").fill(user.password)
    row.locator("button:has-text('Remove')").click()
    page.get_by_text("Security key 'Spare key' removed").wait_for()
    assert page.locator("table.keys").count() == 0
    assert problems == [], problems


def test_agent_chooses_their_time_zone_from_the_list_and_the_dashboard_follows_it(
    live_url: str, page: Page, user: Login
) -> None:
    _log_in(page, live_url, user)
    page.goto(f"{live_url}/account")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save time zone").click()
    page.get_by_text("Times are now shown in Europe/Berlin.").wait_for()
    page.goto(f"{live_url}/dashboard")
    assert "times in Europe/Berlin" in page.locator(".page-head").inner_text()


def test_agent_chooses_newest_first_and_the_incidents_timeline_starts_with_its_latest_entry(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials
) -> None:
    ref = _open_new_incident(page, live_url, user, integration, {"title": "Switch down in rack 4"})
    page.locator("#note-text").fill("Rebooted the switch.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_url(f"{live_url}/incidents/{ref}")
    entries = page.locator("ol.timeline > li.entry")
    assert entries.first.get_attribute("class") == "entry entry-opened"  # oldest first: the story in order

    page.goto(f"{live_url}/account")
    page.get_by_label("Timeline order").select_option("Newest first")
    page.get_by_role("button", name="Save timeline order").click()
    page.get_by_text("Incident timelines now read newest first.").wait_for()
    page.goto(f"{live_url}/incidents/{ref}")
    assert entries.first.get_attribute("class") == "entry entry-note"
    assert page.locator(".timeline-order").inner_text().startswith("Newest first (your default).")

    page.get_by_role("link", name="Show oldest first").click()  # this once, nothing saved
    page.wait_for_url(f"{live_url}/incidents/{ref}?timeline=oldest#timeline")
    assert entries.first.get_attribute("class") == "entry entry-opened"


def test_agent_logs_a_phone_call_as_an_incident_from_the_list(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="bob@example.com")
    _log_in(page, live_url, user)
    page.get_by_role("link", name="New incident").click()
    page.wait_for_url(f"{live_url}/incidents/new")
    page.get_by_role("button", name="Log incident").click()  # the browser asks for the title first: no request
    assert page.url == f"{live_url}/incidents/new"
    page.get_by_label("Title").fill("Cannot print on floor 3")
    page.get_by_label("What they told you").fill("The printer by the kitchen shows error 49.")
    page.get_by_label("Reported by (email)").fill("ann@example.org")
    page.get_by_label("Priority").select_option("P2")
    page.get_by_label("Assign to").fill("bob@example.com")
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(f"{live_url}/incidents/INC-1")
    page.get_by_text("INC-1 logged. ann@example.org is mailed its reference.").wait_for()
    assert page.locator("h1.incident-title").inner_text() == "Cannot print on floor 3"
    assert "Logged by agent@example.com (phone) as P2" in page.locator("ol.timeline").inner_text()
    _screenshot(page, "incident-logged-by-hand")
    with db.read() as session:
        kinds = {row.kind: row.recipient for row in session.scalars(select(OutboxMessage))}
    assert kinds == {"acknowledgement": "ann@example.org", "assigned": "bob@example.com"}


def test_agent_logs_a_call_about_a_server_then_finds_it_by_the_ci_on_a_phone(
    live_url: str, page: Page, user: Login, db: Database
) -> None:
    """The CI field refuses a typo, saying so beside it; the list's CI filter finds the incident, its CI cell opens
    the CI's page."""
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
        cis.create(session, cis.CiFields("mx1.example.com", "server", service="mail"))
    page.set_viewport_size({"width": 375, "height": 700})
    _log_in(page, live_url, user)
    page.goto(f"{live_url}/incidents/new")
    page.get_by_label("Title").fill("Mail is not going out")
    page.get_by_label("CI (what broke)").fill("mx2.example.com")
    page.get_by_role("button", name="Log incident").click()
    page.locator("#ci-error").get_by_text("there is no CI 'mx2.example.com'").wait_for()
    page.get_by_label("CI (what broke)").fill("mx1.example.com")
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(f"{live_url}/incidents/INC-1")
    page.goto(f"{live_url}/incidents")
    page.get_by_text("Search and filters").click()  # folded on a phone
    page.get_by_placeholder("CI", exact=True).fill("MX1.example.com")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/incidents?*ci=MX1.example.com*")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the list scrolls sideways on a phone"
    _screenshot(page, "incidents-by-ci-phone")
    page.locator("td[data-label=CI]").get_by_role("link", name="mx1.example.com").click()
    page.wait_for_url(f"{live_url}/cis/mx1.example.com")
    assert page.locator("#open-incidents").get_by_role("link", name="INC-1").is_visible()


def test_the_new_incident_form_fits_a_phone_screen(live_url: str, page: Page, user: Login) -> None:
    page.set_viewport_size({"width": 375, "height": 700})
    _log_in(page, live_url, user)
    page.goto(f"{live_url}/incidents/new")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the new-incident form scrolls sideways on a phone ({width}px wide)"


def _cover_dba_now(page: Page, who: str) -> None:
    """On the open on-call page, `who` covers dba from an hour ago for two hours, and is on call now."""
    page.fill("#who-dba", who)
    start = utcnow() - timedelta(hours=1)
    page.fill("#starts-dba", f"{start:%Y-%m-%dT%H:%M}")
    page.fill("#ends-dba", f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    page.get_by_role("button", name="Add override").click()
    page.get_by_text(f"Override 1: {who} is on call for dba then.").wait_for()
    assert page.locator(".on-call-now strong").inner_text() == who


def _hostile_email() -> bytes:
    """A real MIME message whose subject, text, HTML part and attachment name all carry markup."""
    message = EmailMessage()
    message["From"], message["To"] = "mallory@example.org", "helpdesk@localhost"
    message["Subject"], message["Message-ID"] = HOSTILE, "<evil@example.org>"
    message.set_content(f"Hello {HOSTILE}")
    message.add_alternative(f"<p onclick=alert(4)>Hi</p>{HOSTILE}<a href=javascript:alert(3)>x</a>", subtype="html")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=f"{HOSTILE}.pdf")
    return bytes(message)


def test_hostile_email_and_alert_labels_render_inert(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials, intake: Intake
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    mail_ref = store_message(intake, _hostile_email()).ref
    alert_ref = _post_event(live_url, integration, {"title": "Labels", "labels": {"team": HOSTILE, HOSTILE: "x"}})

    _log_in(page, live_url, user)
    for ref in (mail_ref, alert_ref):
        page.goto(f"{live_url}/incidents/{ref}")
        page.wait_for_load_state("load")
        for details in page.locator("main details").all():  # open every "show formatted / full message"
            details.evaluate("el => el.open = true")
        # Sanitised mail may keep an <img> for its alt text, but never a source to fetch or a handler to run.
        hostile = "main img[src], main [onerror], main script, main a[href^='javascript'], main [onclick]"
        assert page.locator(hostile).count() == 0
    page.goto(f"{live_url}/incidents/{mail_ref}")
    # The attachment's name lost its path and markup characters when stored ("…</script>.pdf" -> "script_.pdf")
    # and is shown as text.
    assert page.locator("ul.attachments").inner_text().startswith("script_.pdf")
    page.goto(f"{live_url}/incidents/{alert_ref}")
    assert page.locator("ul.labels").inner_text().count(HOSTILE) == 2  # name and value, shown as text
    page.goto(f"{live_url}/incidents?q=onerror")
    assert page.locator("main img, main script").count() == 0
    assert dialogs == [], f"a script ran: {dialogs}"


def test_a_form_posted_without_its_csrf_token_is_refused_in_the_browser(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials
) -> None:
    ref = _open_new_incident(page, live_url, user, integration, {"title": "Disk full"})
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: "POST", body: new URLSearchParams({text: "x"}),
                                              credentials: "same-origin", redirect: "manual"})).status""",
        f"{live_url}/incidents/{ref}/note",
    )
    assert status == 400
    page.reload()
    assert "Note by" not in page.locator("ol.timeline").inner_text()


def test_admin_finds_someone_on_a_large_desk_pages_on_and_disables_them_staying_on_that_page(
    live_url: str, page: Page, make_user: Callable[..., Login], db: Database
) -> None:
    """The users page lists a page of the desk at a time; Find narrows it to addresses starting so, and an action
    pressed on a later page comes back to that page."""
    add_people(db, 300)
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    page.goto(f"{live_url}/users")
    people = page.locator("#people td[data-label=Email]")
    assert people.count() == 100 and people.first.inner_text() == "root@example.com"  # r before u
    page.get_by_role("link", name="Later →").click()
    page.wait_for_url("**/users?after=*")
    assert people.first.inner_text() == "user099@example.com"
    page.get_by_role("link", name="← Earlier").click()
    page.wait_for_url("**/users?before=*")
    assert people.first.inner_text() == "root@example.com"
    page.get_by_label("Find people").fill("user2")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/users?find=user2")
    assert people.count() == 100 and people.first.inner_text() == "user200@example.com"
    row = page.locator("#people tr", has_text="user250@example.com")
    row.get_by_role("button", name="Disable").click()
    page.get_by_text("user250@example.com is an agent (disabled: cannot log in).").wait_for()
    assert page.get_by_label("Find people").input_value() == "user2"
    assert page.locator("#people tr", has_text="user250@example.com").get_by_role("button", name="Enable").count() == 1
    _screenshot(page, "users-found")


def test_a_viewer_sees_no_admin_pages(live_url: str, page: Page, make_user: Callable[..., Login]) -> None:
    viewer = make_user(email="viewer@example.com", role="viewer")
    _log_in(page, live_url, viewer)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Users").count() == 0 and nav.get_by_role("link", name="Audit").count() == 0
    for path in ("/users", "/audit", "/integrations"):
        response = page.goto(f"{live_url}{path}")
        assert response is not None and response.status == 403, path


MAIN_PAGES = (
    "dashboard", "incidents", "incidents/new", "problems", "changes", "changes/calendar", "oncall", "rules",
    "integrations", "silences", "reports/sla", "account", "replies", "users", "groups", "mailboxes", "outbox", "audit",
    "events/unprocessable", "account/two-factor", "requesters", "reports/time", "cis", "cis/new", "services",
    "reviews", "request-types", "request-types/new", "approvals", "reports/requests", "tokens",
)  # fmt: skip


def test_every_main_page_renders_for_an_admin_without_script_or_policy_errors(
    live_url: str, page: Page, make_user: Callable[..., Login], integration: IntegrationCredentials
) -> None:
    """A look at each page as a person sees it (screenshots kept under test-output/), with nothing blocked."""
    problems = console_errors(page)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    _post_event(live_url, integration, {"title": "Disk full on db1", "severity": "critical"})
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    for path in MAIN_PAGES:
        response = page.goto(f"{live_url}/{path}")
        assert response is not None and response.status == 200, path
        assert page.locator("h1").count() == 1, path
        _screenshot(page, path.replace("/", "-"))
    assert problems == [], problems


def test_admin_adds_a_silence_and_a_group_then_ends_and_removes_them_with_their_row_buttons(
    live_url: str, page: Page, make_user: Callable[..., Login], db: Database
) -> None:
    """The one-button forms in table rows (web/templates/_forms.html) carry their CSRF token and post."""
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    page.goto(f"{live_url}/silences")
    page.fill("textarea[name=matchers]", "labels.service=db")
    page.fill("input[name=duration]", "2h")
    page.get_by_role("button", name="Silence").click()
    page.get_by_text("Silence 1 added.").wait_for()
    page.get_by_role("button", name="End now").click()
    page.get_by_text("Silence 1 ended.").wait_for()
    assert page.get_by_role("button", name="End now").count() == 0

    page.goto(f"{live_url}/groups")
    page.fill("#name", "dba")
    page.fill("#members", "root@example.com")
    page.get_by_role("button", name="Save group").click()
    page.get_by_text("Group dba: root@example.com.").wait_for()
    page.get_by_role("button", name="Remove group dba").click()
    page.get_by_text("Group dba removed.").wait_for()
    assert page.locator("table").count() == 0


def test_admin_retries_and_discards_dead_letters_on_an_older_page_and_stays_on_it(
    live_url: str, page: Page, make_user: Callable[..., Login], db: Database
) -> None:
    """Retry and Discard bring the admin back to the filtered, paged view they pressed them on."""
    rows = [{"delivery_id": f"d-{n}", "kind": "assigned", "channel": "email", "recipient": f"p{n}@example.com",
             "subject": "s", "body": "b", "headers": {}, "status": "dead"} for n in range(PAGE + 2)]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(OutboxMessage), rows)
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    page.goto(f"{live_url}/outbox?state=dead")
    page.click("#older")
    older = page.url
    assert "state=dead" in older and "before=" in older
    page.get_by_role("button", name="Retry", exact=True).first.click()
    page.get_by_text("queued again.").wait_for()
    assert page.url == older
    page.get_by_role("button", name="Discard").first.click()
    page.get_by_text("discarded.").wait_for()
    assert page.url == older


def test_admin_adds_a_service_makes_it_public_and_adds_then_removes_a_policy_on_the_services_page(
    live_url: str, page: Page, make_user: Callable[..., Login], db: Database
) -> None:
    """The catalogue's forms in Chromium: a hostile description shown as text, the edit page's checkbox, the
    policy form's selects, and removal behind its confirming fold."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    page.goto(f"{live_url}/services")
    page.fill("#service-name", "mail")
    page.fill("#service-owner_group", "messaging")
    page.fill("#service-description", HOSTILE)
    page.get_by_role("button", name="Add service").click()
    page.get_by_text("Service mail added. But there is no group 'messaging' yet").wait_for()
    assert page.locator("#services td[data-label='What it is']").inner_text() == HOSTILE
    page.get_by_role("link", name="Edit").click()
    page.check("#public")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Service mail saved; shown on the status page.").wait_for()

    page.fill("#policy-name", "P1 mail")
    page.select_option("#policy-priority", "P1")
    page.fill("#policy-resolution", "4h")
    page.select_option("#policy-service", "mail")
    page.get_by_role("button", name="Add policy").click()
    page.get_by_text("SLA policy P1 mail added").wait_for()
    assert page.locator("#services td[data-label='SLA policies naming it']").inner_text() == "P1 mail (P1)"
    _screenshot(page, "services-with-a-policy")
    page.get_by_text("Remove…").click()
    page.get_by_role("button", name="Remove P1 mail").click()
    page.get_by_text("SLA policy P1 mail removed; no unresolved incident ran clocks under it.").wait_for()
    assert page.locator("#policies-one-service").count() == 0
    assert dialogs == [], f"a script ran: {dialogs}"


def test_admin_renames_a_service_from_its_page_and_its_policy_and_incidents_follow(
    live_url: str, page: Page, make_user: Callable[..., Login], db: Database, integration: IntegrationCredentials
) -> None:
    """The service's page in Chromium: it says what a rename carries before it is made, and after it the catalogue,
    the policy naming the service and the incident list's link all go by the new name."""
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
        catalogue.add_policy(session, name="P1 mail", priority=1, service="mail",
                             targets=catalogue.Targets(resolution=timedelta(hours=4)))  # fmt: skip
    ref = _post_event(
        live_url, integration, {"title": "Mail down", "severity": "critical", "labels": {"service": "mail"}}
    )
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    page.goto(f"{live_url}/services")
    page.locator("#services").get_by_role("link", name="Edit").click()
    page.wait_for_url(f"{live_url}/services/mail/edit")
    assert "1 incident, 1 SLA policy" in page.locator("#rename").inner_text()
    assert page.locator("#remove").get_by_role("link", name=ref).is_visible()  # what keeps it from being removed
    _screenshot(page, "service-edit")
    page.fill("#new_name", "email")
    page.get_by_role("button", name="Rename").click()
    page.get_by_text("Service mail renamed to email; 1 incident, 1 SLA policy follow.").wait_for()
    assert page.locator("#services td[data-label='Service']").inner_text() == "email"
    assert page.locator("#services td[data-label='SLA policies naming it']").inner_text() == "P1 mail (P1)"
    assert page.locator("#policies-one-service td[data-label='For']").inner_text() == "service email"
    page.locator("#services").get_by_role("link", name="1 open").click()
    page.wait_for_url(f"{live_url}/incidents?service=email&status=open")
    assert page.locator("table.incidents").get_by_text(ref, exact=True).is_visible()


def test_admin_names_a_services_major_incident_group_and_its_incidents_declare_form_says_it_pages_it(
    live_url: str, page: Page, make_user: Callable[..., Login], db: Database, integration: IntegrationCredentials
) -> None:
    """The edit page's major-incident group in Chromium, the groups offered as the owner group's are, and the
    incident page's declare form naming the group it will page."""
    with db.transaction() as session:
        groups.save_group(session, "payroll-mim", agents(session, "frank@example.com"))
        catalogue.add_service(session, name="payroll")
    ref = _post_event(live_url, integration, {"title": "Payroll down", "severity": "critical"})
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    page.goto(f"{live_url}/services/payroll/edit")
    page.fill("#major_group", "payroll-mim")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Service payroll saved; not on the status page.").wait_for()
    assert page.locator("#services td[data-label='Owner group']").inner_text() == "—\nmajor incidents: payroll-mim"
    page.goto(f"{live_url}/incidents/{ref}")
    page.fill("#service", "payroll")
    with page.expect_navigation():
        page.press("#service", "Enter")
    page.get_by_text("Declare a major incident").click()
    assert "and the group payroll-mim at once" in page.locator("#declare-major").inner_text()


def test_admin_rotates_a_group_on_call_and_covers_a_shift(
    live_url: str, page: Page, make_user: Callable[..., Login], db: Database
) -> None:
    """The rotation form, then the override form in its folded section with the browser's date-time inputs."""
    with db.transaction() as session:
        groups.save_group(session, "dba", agents(session, "ann@example.com", "bob@example.com"))
    make_user(email="cy@example.com")
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))
    page.goto(f"{live_url}/oncall")
    page.select_option("select[name=group]", "dba")
    page.fill("input[name=shift]", "1d")
    page.fill("input[name=handoff]", "00:00")
    page.get_by_role("button", name="Save rotation").click()
    page.get_by_text("dba now rotates on call.").wait_for()
    assert page.locator(".on-call-now strong").inner_text() == "ann@example.com"
    page.get_by_text("Cover part of it").click()
    _cover_dba_now(page, "cy@example.com")
    _screenshot(page, "oncall-override")


def test_admin_adds_a_member_and_covers_a_shift_picking_people_of_a_large_desk_as_they_type(
    live_url: str, page: Page, make_user: Callable[..., Login], db: Database
) -> None:
    """Neither page lists the desk's people: the fields ask /suggest/assignees for those matching what is typed."""
    problems = console_errors(page)
    add_people(db, 300)
    with db.transaction() as session:
        accounts.set_display_name(session, "user157@example.com", "Nina Simone")
        groups.save_group(session, "dba", ["user000@example.com"])
        oncall.set_rotation(session, "dba", zone="UTC", shift="1d", handoff="00:00", now=utcnow())
    _log_in(page, live_url, make_user(email="root@example.com", role="admin"))

    page.goto(f"{live_url}/groups")
    assert page.locator("#people option").count() == 0
    page.get_by_label("Add a member to dba").press_sequentially("user15")
    page.locator('#people option[value="user159@example.com"]').wait_for(state="attached")
    offered = page.locator("#people option").evaluate_all("options => options.map(o => o.value)")
    named_first = ["user157@example.com"] + [f"user{i}@example.com" for i in range(150, 160) if i != 157]
    assert offered == named_first  # listed by name, "Nina Simone" before addresses standing for names
    assert page.locator('#people option[value="user157@example.com"]').get_attribute("label") == "Nina Simone"
    page.get_by_label("Add a member to dba").fill("user155@example.com")
    page.get_by_role("button", name="Add to dba").click()
    page.get_by_text("Group dba: user000@example.com, user155@example.com.").wait_for()
    _screenshot(page, "groups-member-added")
    page.get_by_role("button", name="Remove user000@example.com from dba").click()
    page.get_by_text("Group dba: user155@example.com.").wait_for()

    page.goto(f"{live_url}/oncall")
    page.get_by_text("Cover part of it").click()
    offered = page.locator("#people-1 option").evaluate_all("options => options.map(o => o.value)")
    assert offered == ["user155@example.com"]  # the rotation's own, before typing
    page.locator("#who-dba").press_sequentially("user20")
    page.locator('#people-1 option[value="user209@example.com"]').wait_for(state="attached")
    offered = page.locator("#people-1 option").evaluate_all("options => options.map(o => o.value)")
    assert offered == [f"user{i}@example.com" for i in range(200, 210)]
    _cover_dba_now(page, "user205@example.com")
    assert problems == [], problems


@pytest.fixture
def sso_live_url(settings: Settings, db: Database) -> Iterator[str]:
    """The app served on loopback with a real OpenID Connect provider beside it (tests/oidc_provider.py), the
    provider sending the browser back to the app's own address."""
    base = f"http://127.0.0.1:{free_port()}"
    provider = Provider(redirect_uri=f"{base}/login/sso/callback").start()
    oidc = OidcSettings(provider.issuer, provider.client_id, provider.client_secret, name="Example SSO")
    app = create_app(dataclasses.replace(settings, public_url=base, oidc=oidc), db=db)
    server = make_server("127.0.0.1", int(base.rsplit(":", 1)[1]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(timeout=10)
    provider.stop()
    with app.app_context():
        services().close()


def test_agent_logs_in_with_the_organisations_identity_provider(sso_live_url: str, page: Page, user: Login) -> None:
    problems = console_errors(page)
    page.goto(f"{sso_live_url}/incidents")
    page.wait_for_url("**/login?next=*")
    page.get_by_role("link", name="Log in with Example SSO").click()
    page.wait_for_url(f"{sso_live_url}/incidents")  # to the provider, which approves at once, and back
    assert page.locator(".account-email").inner_text() == user.email
    assert problems == [], problems


def test_logging_out_goes_through_the_identity_provider_and_back(sso_live_url: str, page: Page, user: Login) -> None:
    page.goto(f"{sso_live_url}/login")
    page.get_by_role("link", name="Log in with Example SSO").click()
    page.wait_for_url(f"{sso_live_url}/incidents")
    page.get_by_role("button", name="Log out").click()  # to the provider's end_session_endpoint, and back
    page.wait_for_url(f"{sso_live_url}/login")
    page.get_by_text("You have been logged out.").wait_for()
    page.goto(f"{sso_live_url}/incidents")
    page.wait_for_url("**/login?next=*")


def test_agent_mentions_a_colleague_picked_from_the_suggestions_as_they_type(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], integration: IntegrationCredentials
) -> None:
    problems = console_errors(page)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    make_user(email="bob@example.com")
    make_user(email="bonnie@example.com")
    ref = _open_new_incident(page, live_url, user, integration, {"title": "Switch down in rack 4"})

    note = page.locator("#note-text")
    note.press_sequentially("Can you check the switch, @bo")
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")
    assert suggestions.get_by_role("option").all_inner_texts() == ["@bob bob@example.com", "@bonnie bonnie@example.com"]
    assert note.get_attribute("aria-activedescendant") == "mention-option-0"
    _screenshot(page, "incident-mention-suggestions")
    page.keyboard.press("Enter")
    assert note.input_value() == "Can you check the switch, @bob "
    assert suggestions.is_hidden() and note.get_attribute("aria-activedescendant") is None

    page.get_by_role("button", name="Add note").click()
    page.wait_for_url(f"{live_url}/incidents/{ref}")
    assert "mentioning bob@example.com" in page.locator("ol.timeline").inner_text()
    assert problems == [], problems


def test_agent_finds_a_colleague_by_display_name_the_note_gets_their_handle_and_the_timeline_their_name(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], integration: IntegrationCredentials,
    db: Database,
) -> None:  # fmt: skip
    _colleague(make_user, db, "bob@example.com", "Robert Stone")
    make_user(email="rob@example.com")
    ref = _open_new_incident(page, live_url, user, integration, {"title": "Switch down in rack 4"})

    note = page.locator("#note-text")
    note.press_sequentially("Over to @ro")  # rob by his address, Robert Stone by his first name
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")
    assert suggestions.get_by_role("option").all_inner_texts() == ["@rob rob@example.com",
                                                                   "Robert Stone (bob@example.com)"]  # fmt: skip
    note.press_sequentially("bert")
    page.keyboard.press("Enter")
    assert note.input_value() == "Over to @bob "  # the handle the server reads back, never the name

    page.get_by_role("button", name="Add note").click()
    page.wait_for_url(f"{live_url}/incidents/{ref}")
    line = page.locator("ol.timeline .entry-note .entry-summary")  # stored as "..., mentioning bob@example.com"
    assert line.inner_text() == "Note by agent@example.com, mentioning Robert Stone"
    assert line.get_by_text("Robert Stone").get_attribute("title") == "bob@example.com"


def test_the_note_box_finds_a_colleague_without_typing_the_accents_of_their_name_from_the_pages_own_list(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], integration: IntegrationCredentials,
    db: Database,
) -> None:  # fmt: skip
    problems = console_errors(page)
    _colleague(make_user, db, "zb@example.com", "Zoë Brandt")
    _open_new_incident(page, live_url, user, integration, {"title": "Switch down in rack 4"})
    note = page.locator("#note-text")
    assert note.get_attribute("data-mention-more") is None  # the page lists everyone: the server is not asked
    note.press_sequentially("@zoe")
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")
    assert suggestions.get_by_role("option").all_inner_texts() == ["Zoë Brandt (zb@example.com)"]
    assert problems == [], problems


def test_the_note_box_folds_a_typed_letter_nfkd_leaves_whole_with_the_servers_table(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], integration: IntegrationCredentials,
    db: Database,
) -> None:  # fmt: skip
    _colleague(make_user, db, "lk@example.com", "Lukas Ørsted")
    _open_new_incident(page, live_url, user, integration, {"title": "Switch down in rack 4"})
    page.locator("#note-text").press_sequentially("@Ørs")  # ø is not o and an accent to NFKD
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")
    assert suggestions.get_by_role("option").all_inner_texts() == ["Lukas Ørsted (lk@example.com)"]
    page.keyboard.press("Enter")
    assert page.locator("#note-text").input_value() == "@lk "


def test_the_note_box_finds_and_orders_names_from_the_pages_own_list_as_the_server_does(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], integration: IntegrationCredentials,
    db: Database,
) -> None:  # fmt: skip
    """The script folds what is typed with the server's table (data-mention-folding), apostrophes and hyphens
    included, and orders what it finds as hub/name_words.py `sort_key` does: for each name typed, the page's own
    list offers those /suggest/people would, in the same order."""
    problems = console_errors(page)
    named = {"ob@example.com": "Seán O'Brien", "da@example.com": "Dina D\u2019Angelo",
             "jl@example.com": "Jean-Luc Picard", "am@example.com": "Anne-Marie Lund", "erik@example.com": "Erik Lund",
             "em@example.com": "Émile Lund", "emil@example.com": "Emil Lund", "lund@example.com": "",
             "olive@example.com": "Olive Brown"}  # fmt: skip
    for email, name in named.items():
        _colleague(make_user, db, email, name)
    _open_new_incident(page, live_url, user, integration, {"title": "Switch down in rack 4"})
    note = page.locator("#note-text")
    assert note.get_attribute("data-mention-more") is None  # the page lists everyone: the server is not asked
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")
    for typed in ("o'brien", "o'b", "obri", "brien", "d\u2019angelo", "angelo", "jean-luc", "jeanl", "luc",
                  "anne-marie", "marie", "lund", "em", "e"):  # fmt: skip
        with db.read() as session:
            server = [f"{s.name} ({s.address})" if s.name else f"@{s.handle} {s.address}"
                      for s in incident_notes.mentionable_starting(session.connection(), typed)
                      if s.address != user.email]  # fmt: skip
        assert server, typed
        note.fill("")
        note.press_sequentially(f"@{typed}")
        assert suggestions.get_by_role("option").all_inner_texts() == server[:8], typed
    assert problems == [], problems


def test_agent_picks_one_of_two_colleagues_sharing_a_name_by_arrow_or_click(
    live_url: str, page: Page, user: Login, make_user: Callable[..., Login], integration: IntegrationCredentials
) -> None:
    make_user(email="ann@a.example")
    make_user(email="ann@b.example")
    _open_new_incident(page, live_url, user, integration, {"title": "Switch down in rack 4"})

    note = page.locator("#note-text")
    note.press_sequentially("@an")
    page.keyboard.press("ArrowDown")
    assert note.get_attribute("aria-activedescendant") == "mention-option-1"
    page.keyboard.press("Tab")  # "@ann" alone would reach neither: the whole address goes in
    assert note.input_value() == "@ann@b.example "
    note.press_sequentially("and @ann")
    page.keyboard.press("Escape")
    assert page.get_by_role("listbox").is_hidden() and note.input_value() == "@ann@b.example and @ann"
    note.press_sequentially("@a")
    page.get_by_role("option", name="@ann@a.example").click()
    assert note.input_value() == "@ann@b.example and @ann@a.example "
    assert note.evaluate("el => document.activeElement === el")


def test_agent_attaches_a_photo_to_a_note_and_finds_it_listed_under_the_note(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials, tmp_path: Path
) -> None:
    problems = console_errors(page)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    photo = tmp_path / "rack-4.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n a photo of the switch")
    ref = _open_new_incident(page, live_url, user, integration, {"title": "Switch down in rack 4"})

    page.fill("#note-text", "The switch's lights are all off.")
    page.set_input_files("#note-files", str(photo))
    page.get_by_role("button", name="Add note").click()
    page.get_by_text(f"{ref} note added with 1 file.").wait_for()
    link = page.locator("li.entry-note ul.attachments").get_by_role("link", name="rack-4.png")
    assert link.is_visible()
    _screenshot(page, "incident-note-with-a-file")
    served = page.request.get(f"{live_url}{link.get_attribute('href')}")  # with the page's session
    assert served.status == 200 and served.body() == photo.read_bytes()
    assert served.headers["x-content-type-options"] == "nosniff"
    assert problems == [], problems


def test_agent_sends_a_screenshot_as_a_note_without_writing_a_word(
    live_url: str, page: Page, user: Login, integration: IntegrationCredentials, tmp_path: Path
) -> None:
    screenshot = tmp_path / "error-dialog.png"
    screenshot.write_bytes(b"\x89PNG\r\n\x1a\n the error dialog")
    ref = _open_new_incident(page, live_url, user, integration, {"title": "Payroll app shows an error"})

    page.set_input_files("#note-files", str(screenshot))  # the note box left empty: the browser sends it as it is
    page.get_by_role("button", name="Add note").click()
    page.get_by_text(f"{ref} note added with 1 file.").wait_for()
    assert page.locator("li.entry-note ul.attachments").get_by_role("link", name="error-dialog.png").is_visible()


def test_the_ci_field_offers_a_ci_beyond_those_the_page_lists_as_one_types(
    live_url: str, page: Page, user: Login, db: Database, integration: IntegrationCredentials
) -> None:
    problems = console_errors(page)
    with db.transaction() as session:
        for i in range(400):
            session.add(ConfigurationItem(name=f"srv{i:03d}", name_key=f"srv{i:03d}", kind="server", attributes={}))
    _open_new_incident(page, live_url, user, integration, {"title": "Disk full"})
    assert page.locator("#ci-names option").count() == cis.SUGGESTED_NAMES  # srv000 to srv299
    page.locator("#ci").press_sequentially("SRV39")
    page.locator("#ci-names option[value=srv399]").wait_for(state="attached")
    offered = page.locator("#ci-names option").evaluate_all("options => options.map(o => o.value)")
    assert offered == [f"srv{i}" for i in range(390, 400)]
    page.locator("#ci").fill("srv399")
    with page.expect_navigation():
        page.locator("#ci").press("Enter")  # the CI form's own submit, back to the incident
    assert page.locator("#ci").input_value() == "srv399"
    assert problems == [], problems


def test_an_agent_assigns_to_someone_beyond_those_the_page_lists_picked_as_they_type(
    live_url: str, page: Page, user: Login, db: Database, integration: IntegrationCredentials
) -> None:
    problems = console_errors(page)
    with db.transaction() as session:
        session.add_all(User(email=f"user{i:03d}@example.com", password_hash="x", role="agent", active=True)
                        for i in range(assignees.SUGGESTED + 10))  # fmt: skip
    _open_new_incident(page, live_url, user, integration, {"title": "Printer jammed"})
    assert page.locator("#people option").count() == assignees.SUGGESTED  # agent@ and user000 to user298
    page.locator("#assignee").fill("")  # the rules gave it to a group already
    page.locator("#assignee").press_sequentially("user30")
    page.locator('#people option[value="user309@example.com"]').wait_for(state="attached")
    offered = page.locator("#people option").evaluate_all("options => options.map(o => o.value)")
    assert offered == [f"user{i}@example.com" for i in range(300, 310)]
    page.locator("#assignee").fill("user305@example.com")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("Assigned to user305@example.com").first.wait_for()
    assert page.locator("#assignee").input_value() == "user305@example.com"
    assert problems == [], problems


def test_the_note_box_offers_a_colleague_beyond_those_the_page_lists(
    live_url: str, page: Page, user: Login, db: Database, integration: IntegrationCredentials
) -> None:
    with db.transaction() as session:
        session.add_all(User(email=f"user{i:03d}@example.com", password_hash="x", role="agent", active=True)
                        for i in range(mentions.SUGGESTED + 10))  # fmt: skip
    _open_new_incident(page, live_url, user, integration, {"title": "Switch down"})
    page.locator("#note-text").press_sequentially("@user505")
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")
    suggestions.get_by_role("option", name="@user505").wait_for()
    page.keyboard.press("Enter")
    assert page.locator("#note-text").input_value() == "@user505 "


def test_the_note_box_finds_a_colleague_past_those_the_page_lists_by_a_word_of_their_name(
    live_url: str, page: Page, user: Login, db: Database, integration: IntegrationCredentials
) -> None:
    problems = console_errors(page)
    add_people(db, 600)  # the page lists agent@ and user000 to user498
    with db.transaction() as session:
        accounts.set_display_name(session, "user550@example.com", "Robert Stone")
    _open_new_incident(page, live_url, user, integration, {"title": "Switch down"})
    assert "Robert Stone" not in page.locator("#note-text").get_attribute("data-mention-people")
    page.locator("#note-text").press_sequentially("Over to @sto")
    suggestions = page.get_by_role("listbox", name="Colleagues to mention")
    suggestions.get_by_role("option", name="Robert Stone (user550@example.com)").wait_for()
    assert suggestions.get_by_role("option").all_inner_texts() == ["Robert Stone (user550@example.com)"]
    page.keyboard.press("Enter")
    assert page.locator("#note-text").input_value() == "Over to @user550 "  # the handle, never the name
    assert problems == [], problems


def test_the_first_tab_offers_to_skip_the_menu_and_enter_lands_in_the_pages_content(
    live_url: str, page: Page, make_user: Callable[..., Login]
) -> None:
    """Without it a keyboard user tabs through every menu link on every page before reaching the incident."""
    _log_in(page, live_url, make_user())
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("link => link === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
