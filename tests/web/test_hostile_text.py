"""Hostile text everywhere someone outside the admins' hands can put it, opened in Chromium on every page that shows
it: nothing runs, nothing is blocked by the Content Security Policy (so nothing tried to), and the text reads as it
was written.

One desk is seeded once per test through the hub's own functions (what a requester's mail, an alert, an integration,
an agent's forms and an admin's store), with one hostile string in every name (an agent's display name too),
title, label, note and text, and a `javascript:` address in every field that becomes a link; then each page is
opened in turn with a dialog handler, the console's errors and the policy's violations listened to, and the note
box's @mention list (drawn by its script) opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from sqlalchemy import update

from hub import catalogue, changes, cis, groups, knowledge, major_incidents, problems, request_links, triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent, Matcher, RuleSpec
from hub.intake import Intake, Raw
from hub.models import User, utcnow
from hub.rulebook import add_rule
from hub.saved_replies import add_reply
from hub.silences import add_silence
from ingest.mail_intake import store_message
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, console_errors, policy_violations
from tests.web.test_browser import _log_in, _post_event, chromium, page  # noqa: F401  (fixtures, used by name)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

#: Breaks out of an attribute, then tries an element with a handler, an SVG with one, and a template expression.
HOSTILE = '"><img src=x onerror=alert(1)><svg onload=alert(2)>{{7*7}}'
#: What a link field is given instead of an address.
SCRIPT_URL = "javascript:alert(3)"
#: What would be there had any of it been taken for markup rather than text.
RAN = "img[src=x], [onerror], [onload], script:not([src]), a[href^='javascript' i], [href^='javascript' i]"


@dataclass(frozen=True)
class Desk:
    """What the seeded desk's pages are reached by."""

    mail_ref: str
    alert_ref: str
    problem_ref: str
    change_ref: str
    article_id: int
    request_token: str


def _hostile_mail() -> bytes:
    name = HOSTILE.replace('"', "'")  # a display name is quoted in the header; the quotes are the header's own
    return (
        f'From: "{name}" <mallory@example.org>\r\nTo: helpdesk@localhost\r\nSubject: {HOSTILE}\r\n'
        f"Message-ID: <hostile@example.org>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain\r\n\r\n{HOSTILE} {SCRIPT_URL}\r\n"
        f'--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="{name}.pdf"\r\n\r\n'
        f"%PDF-1.4\r\n--b--\r\n"
    ).encode()


def _seed(live_url: str, db: Database, intake: Intake, integration: IntegrationCredentials, settings: Settings) -> Desk:
    agent = Actor("ann@example.com")
    with db.transaction() as session:
        # Display names refuse < and > now (hub/people.py), but older code or a directory sync may have stored them.
        session.execute(update(User).where(User.email == agent.name).values(display_name=HOSTILE))
        groups.save_group(session, HOSTILE, ["ann@example.com"])
        catalogue.add_service(session, name=HOSTILE, public=True, description=HOSTILE)
        add_reply(session, name=HOSTILE, text=HOSTILE, by=agent.name)
        add_rule(session, RuleSpec(id=0, name=HOSTILE, when={"field": "title", "op": "contains", "value": HOSTILE},
                                   actions={"category": HOSTILE, "tags": [HOSTILE]}))  # fmt: skip
        add_silence(session, matchers=[Matcher("title", "=", HOSTILE)], ends_at=utcnow() + timedelta(hours=1),
                    comment=HOSTILE, created_by=agent.name)  # fmt: skip
        fields = cis.CiFields(name=HOSTILE, kind="server", service=HOSTILE, description=HOSTILE, owner=agent.name,
                              attributes={HOSTILE: HOSTILE, "link": SCRIPT_URL})  # fmt: skip
        cis.create(session, fields)
        article = knowledge.add(session, title=HOSTILE, body=f"{HOSTILE}\n\n[click]({SCRIPT_URL})",
                                keywords=HOSTILE, published=True, by=agent.name)  # fmt: skip
        # Planned for tomorrow: in the dashboard's week ahead.
        change = changes.create(session, changes.NewChange(
            title=HOSTILE, type="standard", service=HOSTILE, impact=HOSTILE, implementation_plan=HOSTILE,
            planned_start=utcnow() + timedelta(days=1)), agent.name)  # fmt: skip
        problem = problems.file(session, HOSTILE, agent.name)
        article_id, change_ref, problem_ref = article.id, change.ref, problem.ref
    mail_ref = store_message(intake, _hostile_mail()).ref
    alert_ref = _post_event(live_url, integration, {"title": HOSTILE, "severity": "critical", "source": HOSTILE,
                                                    "labels": {HOSTILE: HOSTILE, "service": HOSTILE}})  # fmt: skip
    alert_id = int(alert_ref.removeprefix("INC-"))
    triage.set_public_note(db, alert_id, HOSTILE, agent)
    paging = Mail("helpdesk@localhost", live_url)
    major_incidents.declare(db, alert_id, "Nobody can run payroll", agent, paging)  # Ann coordinates it: named
    requester = InboundEvent(source="email", title=HOSTILE, description=HOSTILE, requester="ann@example.org",
                             message_id="<asked@example.org>")  # fmt: skip
    asked = intake.record(Raw(source="email", content_type="message/rfc822", body=b"x"), requester).incident_id
    assert asked is not None
    token = request_links.LINKS.sign(settings.secret_key, asked, "ann@example.org")
    return Desk(mail_ref, alert_ref, problem_ref, change_ref, article_id, token)


def _pages(desk: Desk) -> list[str]:
    """Every page that shows some of the seeded text (logged in as an admin, who sees them all)."""
    name = quote(HOSTILE, safe="")
    return [
        "/dashboard", "/incidents", f"/incidents?q={quote(HOSTILE)}", f"/incidents/{desk.mail_ref}",
        f"/incidents/{desk.alert_ref}", "/problems", f"/problems/{desk.problem_ref}", "/changes",
        f"/changes/{desk.change_ref}", "/rules", "/replies", "/groups", "/services", f"/services/{name}/edit", "/cis",
        f"/cis/{name}", f"/cis/{name}/edit", "/articles",
        f"/articles/{desk.article_id}", "/silences", "/oncall", "/audit", "/reports/sla",
        # and the pages without a login
        "/status", "/help", f"/help/{desk.article_id}", f"/requests/{desk.request_token}",
    ]  # fmt: skip


#: Pages that list the desk's work without these fields today: opened all the same, in case they come to.
ALSO_OPENED = ("/changes/calendar", "/outbox", "/requesters", "/reviews", "/integrations",
               "/events/unprocessable")  # fmt: skip


def test_hostile_text_in_every_field_runs_nowhere_and_reads_as_written(
    live_url: str,
    page: Page,  # noqa: F811
    db: Database,
    intake: Intake,
    integration: IntegrationCredentials,
    settings: Settings,
    make_user: Callable[..., Login],
) -> None:
    admin = make_user(email="root@example.com", role="admin")
    make_user(email="ann@example.com", role="agent")
    desk = _seed(live_url, db, intake, integration, settings)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(f"{page.url}: {dialog.message}"), dialog.dismiss()))
    errors, violations = console_errors(page), policy_violations(page)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    _log_in(page, live_url, admin)
    unread: list[str] = []
    for path in (*_pages(desk), *ALSO_OPENED):
        response = page.goto(f"{live_url}{path}")
        assert response is not None and response.status == 200, path
        for details in page.locator("details").all():  # what a click would show
            details.evaluate("el => el.open = true")
        assert page.locator(RAN).count() == 0, f"{path}: {page.locator(RAN).first.evaluate('e => e.outerHTML')}"
        if path not in ALSO_OPENED and HOSTILE not in page.locator("body").inner_text():
            unread.append(path)
    page.goto(f"{live_url}/incidents/{desk.alert_ref}")  # the note box's suggestions, drawn by its script
    page.locator("#note-text").press_sequentially("@an")
    offered = page.get_by_role("listbox", name="Colleagues to mention")
    assert offered.inner_text() == f"{HOSTILE} (ann@example.com)" and page.locator(RAN).count() == 0
    assert dialogs == [] and violations == [] and errors == [], (dialogs, violations, errors)
    assert unread == [], f"these pages do not show the text as written: {unread}"
