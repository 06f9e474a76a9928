"""One site with data on every page, for the checks that visit every page (tests/web/test_accessibility.py in
Chromium, tests/web/test_html_validity.py through the test client): an incident with a timeline, a problem, a
change, a CI, a group on call, an article, a major incident in progress and a reviewed one, a calendar and a policy,
someone with two-factor authentication, an approval, and the signed links mailed to requesters, agents and
approvers. Which pages they visit
is kept complete by tests/web/test_page_coverage.py."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask

from hub import (
    accounts,
    ack_links,
    approval_links,
    approvals,
    calendars,
    catalogue,
    changes,
    cis,
    copied_changes,
    groups,
    heartbeats,
    incident_notes,
    knowledge,
    mailboxes,
    major_incidents,
    my_requests,
    oncall,
    pending_requests,
    problems,
    request_links,
    request_steps,
    request_types,
    reviews,
    rulebook,
    satisfaction,
    silences,
    status_subscriptions,
    totp,
    triage,
    two_factor,
)
from hub.agent_action import Actor, Mail
from hub.config import OidcSettings, Settings
from hub.db import Database
from hub.domain import InboundEvent, RuleSpec
from hub.intake import Raw
from hub.models import PendingRequest, StatusSubscriber, utcnow
from hub.request_questions import parse_lines
from hub.request_steps import Planned
from hub.saved_replies import add_reply
from hub.sealed import Keyring
from ingest.pipeline import make_intake
from tests.conftest import make_settings, migrated_database
from tests.web.conftest import PASSWORD, TEMPLATES
from tests.web.helpers import Login
from web import create_app
from web.services import services

ADMIN = Login("root@example.com", PASSWORD)
#: Real addresses and alert titles run long with no space to wrap at: the site has one of each, so a page that cannot
#: fit them to a phone's width shows it.
LONG_ADDRESS = "maximilian.alexander.oyelaran-featherstonehaugh@operations.example-corporation.co.uk"
LONG_TITLE = "Disk full on /var/lib/postgresql/16/main/pg_wal/000000010000000A000000FF (db1.example.com)"

#: Pages made from the site's data, and the forms that edit it: on a fresh database its incident, problem, change
#: and article are the first, rule 1 is the default one, version 2 adds a rule; INC-3 is the major incident reviewed;
#: INC-4 the laptop request, its steps' checklist partly ticked off.
DETAIL_PAGES = ("incidents/INC-1", "problems/PRB-1", "changes/CHG-1", "cis/db1.example.com", "articles", "articles/1",
                "articles/new", "cis/db1.example.com/edit", "integrations/monitoring", "rules/new", "rules/1/edit",
                "rules/versions", "rules/versions/2", "services/mail/edit", "services/calendars/office/edit",
                "services/policies/mail-urgent/edit", "incidents/INC-3/review",
                "request-types/1/edit", "incidents/INC-4")  # fmt: skip
#: Pages without a login; a name in <> stands for the token of a signed link mailed to a requester (or, <ack>, to an
#: agent paged), which `furnish` signs.
PUBLIC_PAGES = ("login", "help", "help/1", "status", "help/ask", "help/my-requests", "help/my-requests/<list>",
                "requests/<request>", "help/ask/confirm/<ask>", "satisfaction/<satisfaction>", "ack/<ack>",
                "status/subscribe", "status/confirm/<subscribed>", "status/unsubscribe/<leave>",
                "help/request", "help/ask?type=1", "approve/<approval>")  # fmt: skip
#: Error pages, by the status each answers with: a page that is not there, to an admin (error.html, which answers a
#: 403 alike) and to anyone, and an article not there (help/gone.html); a link of ours that expired, and one that
#: never was ours (link_problem.html); single sign-on's refusal (sso_problem.html).
ERROR_PAGES = {"incidents/INC-99": 404}
PUBLIC_ERROR_PAGES = {"no-such-page": 404, "help/99": 404, "requests/<expired>": 410, "requests/not-ours": 400,
                      "login/sso/callback?error=access_denied": 403}  # fmt: skip
#: Single sign-on, so the login page offers it and its refusal page can be visited; never reached: a refusal the
#: provider sends back is answered without asking it anything.
SSO = OidcSettings(
    issuer="https://sso.example.com", client_id="switchboard", client_secret="unused", name="Example SSO"
)
#: The login's second step, shown once a person with two-factor authentication (TWO_FACTOR) gave their password.
SECOND_STEP = "login/code"
TWO_FACTOR = Login("bea@example.com", PASSWORD)
#: Who sees the signed-in pages with some of their forms hidden: an agent (no admin's settings) and a viewer (who
#: reads but works nothing).
AGENT = Login("ann@example.com", PASSWORD)
VIEWER = Login("vic@example.com", PASSWORD)
_KEY = re.compile(r'id="two-factor-key">([A-Z2-7 ]+)<')


def authenticator_code(page: str) -> dict[str, str]:
    """The code an authenticator app shows for the key the two-factor setup page offers, with the password, as the
    form's fields."""
    match = _KEY.search(page)
    assert match, "the two-factor setup page shows no key"
    return {"code": totp.code_at(match.group(1).replace(" ", ""), totp.step_at(time.time())), "password": PASSWORD}


@dataclass(frozen=True)
class FormVisit:
    """A page only a form's answer `shows`: `page` is read for its form's CSRF token (and whatever `from_page` takes
    from it), then `fields` are posted to `to` (the page itself when None) by `who`, and the answer, after any
    redirect, is checked. Paths are written as the page lists write them, <name> for a mailed link's token."""

    shows: str
    who: str  # "admin" (logged in) or "public" (no login)
    page: str
    fields: dict[str, str] = field(default_factory=dict)
    to: str | None = None
    status: int = 200
    from_page: Callable[[str], dict[str, str]] | None = None

    @property
    def name(self) -> str:
        return f"{self.who} POST /{self.to or self.page}: {self.shows}"


ASKED = {"email": "ann@example.org", "subject": "Printer jams", "body": "Tray 2.", "service": "mail"}
LEAVE = "status/unsubscribe/<leave>"
CHOOSE = f"{LEAVE}/services"
RENEW_CODES = "account/two-factor/recovery-codes"
#: The pages (and the variants of pages) that only a form's answer shows: its errors, "check your mail", "done".
#: In order, each after the pages that show the site as it was: they change it (INC-1 is solved, the ack link's
#: incident acknowledged, the admin has two-factor authentication on), so they come after every other visit.
FORM_VISITS = (
    FormVisit("recovery codes, first", "admin", "account/two-factor", from_page=authenticator_code),
    FormVisit("recovery codes, new", "admin", "account", {"password": PASSWORD}, to=RENEW_CODES),
    FormVisit("ask form's errors", "public", "help/ask", {"email": "", "subject": "", "body": ""}, status=400),
    FormVisit("ask sent, an article suggested", "public", "help/ask", ASKED),
    FormVisit("ask confirmed, its reference", "public", "help/ask/confirm/<ask>"),
    FormVisit("article answered", "public", "help/1", {"helpful": "no", "missing": "Tray?"}, to="help/1/helpful"),
    FormVisit("acknowledged", "public", "ack/<ack>"),
    FormVisit("subscribe form's error", "public", "status/subscribe", {"email": "not an address"}, status=400),
    FormVisit("subscribe sent", "public", "status/subscribe", {"email": "bob@example.org"}),
    FormVisit("subscription confirmed", "public", "status/confirm/<subscribed>", {"choosing": "1", "service": "mail"}),
    FormVisit("no service chosen", "public", LEAVE, {"choosing": "1"}, to=CHOOSE, status=400),
    FormVisit("services saved", "public", LEAVE, {"choosing": "1", "service": "mail"}, to=CHOOSE),
    FormVisit("unsubscribed", "public", LEAVE),
    FormVisit("satisfaction saved", "public", "satisfaction/<satisfaction>", {"rating": "good", "comment": "Quick."}),
    FormVisit("reply's error", "public", "requests/<request>", {"text": ""}, to="requests/<request>/reply", status=400),
    FormVisit("reply sent", "public", "requests/<request>", {"text": "Still jams."}, to="requests/<request>/reply"),
    FormVisit("request solved", "public", "requests/<request>", to="requests/<request>/solved"),
)  # fmt: skip
#: Pages as a site with nothing in it shows them: no help centre and no status page yet (help/none.html,
#: status/none.html), to anyone; the signed-in pages to its first admin.
EMPTY_PUBLIC_PAGES = {"help": 404, "status": 404, "status/subscribe": 404, "help/ask": 200, "login": 200}


@contextmanager
def furnished_app(home: Path, migrated_sqlite: Path) -> Iterator[tuple[Flask, dict[str, str]]]:
    """An app on its own furnished database under `home`, and the links `furnish` made; closed after."""
    with _app(home, migrated_sqlite) as (app, settings, db):
        yield app, furnish(settings, db)


@contextmanager
def empty_app(home: Path, migrated_sqlite: Path) -> Iterator[Flask]:
    """An app on a database with nothing in it but its first admin (ADMIN), as a new site has; closed after."""
    with _app(home, migrated_sqlite) as (app, _settings, db):
        with db.transaction() as session:
            accounts.create_user(session, email=ADMIN.email, password=PASSWORD, role="admin")
        yield app


@contextmanager
def _app(home: Path, migrated_sqlite: Path) -> Iterator[tuple[Flask, Settings, Database]]:
    settings = make_settings(home / "var", oidc=SSO)
    db = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    app = create_app(settings, db=db)
    app.jinja_env.bytecode_cache = TEMPLATES
    try:
        yield app, settings, db
    finally:
        with app.app_context():
            services().close()
        db.dispose()


def furnish(settings: Settings, db: Database) -> dict[str, str]:
    """Fill a fresh database with something for every page to show; return the tokens of the mailed links, by the
    names the page lists give them."""
    now = utcnow()
    with db.transaction() as session:
        accounts.create_user(session, email=ADMIN.email, password=PASSWORD, role="admin")
        accounts.create_user(session, email=AGENT.email, password=PASSWORD, role="agent")
        accounts.create_user(session, email=VIEWER.email, password=PASSWORD, role="viewer")
        accounts.create_user(session, email=LONG_ADDRESS, password=PASSWORD, role="agent")
        bea = accounts.create_user(session, email=TWO_FACTOR.email, password=PASSWORD, role="agent")
        secret, at = totp.new_secret(), time.time()
        two_factor.turn_on(
            session, bea.id, secret, totp.code_at(secret, totp.step_at(at)), at, keys=Keyring.of(settings)
        )
        accounts.create_integration(session, name="monitoring")
        heartbeats.add(session, "monitoring", "nightly-backup", "1d")  # its page's row, with its Remove
        catalogue.add_service(session, name="mail", public=True, description="Email for everyone")
        cis.create(session, cis.CiFields("db1.example.com", "database", service="mail", owner="ann@example.com",
                                         attributes={"ip": "10.0.0.5"}))  # fmt: skip
        groups.save_group(session, "dba", [ADMIN.email, "ann@example.com", LONG_ADDRESS])
        oncall.set_rotation(session, "dba", zone="UTC", shift="1d", handoff="00:00", now=now)
        silences.add_silence(session, matchers=[silences.parse_matcher("labels.service=db")],
                             ends_at=now + timedelta(hours=2), comment="upgrade", created_by=ADMIN.email)  # fmt: skip
        laptop = request_types.add(session, name="New laptop", summary="A laptop for a new starter", group="dba",
                                   description="Takes about a week.", category="hardware",
                                   questions=parse_lines("Model [choice: Standard, Developer] *\nCost centre *\n"
                                                         "What for? [text]"),
                                   steps=["Order it", Planned("Image it", "dba"), "Hand it over"])  # fmt: skip
        add_reply(session, name="VPN update", text="Please update the VPN client.", by=ADMIN.email)
        article = knowledge.add(session, title="When the printer jams", body="Open tray 2.", published=True,
                                by=ADMIN.email)  # fmt: skip
        # Planned now, in a freeze added after it: the calendar's cell for today shows a change and a freeze.
        patch = changes.NewChange(title="Patch db1", service="mail", approvers=("ann@example.com",),
                                  planned_start=now, planned_end=now + timedelta(hours=1))  # fmt: skip
        change = changes.create(session, patch, ADMIN.email).ref
        changes.add_freeze(session, name="year-end", starts_at=now - timedelta(hours=1),
                           ends_at=now + timedelta(hours=1), created_by=ADMIN.email)  # fmt: skip
        calendars.add_calendar(session, name="office", tz="Europe/London", hours="mon-fri 09:00-17:00")
        catalogue.add_policy(session, name="mail-urgent", priority=1, service="mail", calendar="office",
                             targets=catalogue.Targets(first_response=timedelta(minutes=30)))  # fmt: skip
        # A mailbox the watcher could not log in to: its row on /mailboxes, and the admins' banner on the dashboard.
        support = mailboxes.add_mailbox(session, name="support", host="imap.example.com", username=LONG_ADDRESS,
                                        secret="env:SUPPORT_PASSWORD", keys=Keyring.of(settings))  # fmt: skip
        failed = f"login to imap.example.com:993 as {LONG_ADDRESS} failed (AUTHENTICATIONFAILED): check the password"
        mailboxes.record_error(session, support.id, failed)
        article_id = article.id
        asked = PendingRequest(email="ann@example.org", subject="A second screen", body="For the new starter.")
        subscriber = StatusSubscriber(email="ann@example.org")
        session.add_all((asked, subscriber))
        session.flush()
        asked_id, subscriber_id = asked.id, subscriber.id
    raw = Raw(source="email", content_type="message/rfc822", body=b"x")
    mail = InboundEvent(source="email", title="Printer on floor 3", description="It jams every second page.",
                        requester="ann@example.org", message_id="<jam@example.org>")  # fmt: skip
    incident_id = make_intake(settings, db).record(raw, mail).incident_id
    assert incident_id == 1 and article_id == 1 and change == "CHG-1" and laptop.id == 1, (
        "DETAIL_PAGES name the first of each"
    )
    alert = InboundEvent(source="email", title=LONG_TITLE, description=LONG_TITLE, requester=LONG_ADDRESS)
    alarm = make_intake(settings, db).record(raw, alert).incident_id
    # In progress, so the banner the dashboard and the incident list show then is checked too, long title and all.
    major_incidents.declare(db, alarm, "Every database write fails", Actor(ADMIN.email), Mail.of(settings),
                            coordinator=LONG_ADDRESS)  # fmt: skip
    incident_notes.add_note(db, incident_id, "Toner supplier is late again, @ann", Actor(ADMIN.email))
    incident_notes.reply(db, incident_id, "Please open tray 2.", Actor(ADMIN.email),
                         Mail("desk@example.com", settings.base_url))  # fmt: skip
    assert problems.create(db, "Printers jam on humid days", ADMIN.email, incident_ids=(incident_id,)) == 1
    payroll = InboundEvent(source="email", title="Payroll is down", description="Nobody can run payroll.",
                           requester="bob@example.org")  # fmt: skip
    major = make_intake(settings, db).record(raw, payroll).incident_id
    assert major == 3, "DETAIL_PAGES name INC-3's review"
    major_incidents.declare(db, major, "Nobody can run payroll", Actor(ADMIN.email), Mail.of(settings))
    triage.change_status(db, major, "resolve", Actor(ADMIN.email), Mail.of(settings), resolution="Freed the disk")
    reviews.start(db, major, Actor(ADMIN.email))
    # A resolved request of a type, so the request types report shows its table, times and all.
    wanted = InboundEvent(source="web", title="A laptop for Sam", kind="request", request_type="New laptop",
                          requester="ann@example.org")  # fmt: skip
    laptop_request = make_intake(settings, db).record(raw, wanted).incident_id
    assert laptop_request == 4, "DETAIL_PAGES name INC-4's steps"
    # A step done, by whom and when, and two not; the next is dba's, so its members are mailed.
    request_steps.tick(db, laptop_request, 1, Actor(LONG_ADDRESS), Mail.of(settings))
    triage.change_status(db, laptop_request, "resolve", Actor(ADMIN.email), Mail.of(settings), resolution="Handed over")
    with db.transaction() as session:  # after the intake, which it would route: version 2 shows a rule added
        printing = {"field": "title", "op": "contains", "value": "Printer"}
        printers = RuleSpec(id=0, name="Printers to mail", when=printing, actions={"service": "mail"})
        rulebook.add_rule(session, printers, author=ADMIN.email)
    # Waiting for the admin: their Approvals page, the incident's Approvals box and the approver's link show it.
    asked = approvals.ask(db, incident_id, ADMIN.email, "A new printer is within budget?", Actor("ann@example.com"),
                          Mail("desk@example.com", settings.base_url))  # fmt: skip
    # Someone the requester copied: the incident page's Copied line shows them with their Remove button.
    copied_changes.change(db, incident_id, "carl@example.org", Actor(ADMIN.email), on=True, mail=Mail.of(settings))
    key = settings.secret_key
    long_ago = utcnow() - request_links.LINKS.lifetime - timedelta(days=1)
    return {"request": request_links.LINKS.sign(key, incident_id, "ann@example.org"),
            "expired": request_links.LINKS.sign(key, incident_id, "ann@example.org", now=long_ago),
            "list": my_requests.LINKS.sign(key, 0, "ann@example.org"),
            "ask": pending_requests.CONFIRM.sign(key, asked_id, "ann@example.org"),
            "satisfaction": satisfaction.sign(key, major, "bob@example.org"),
            "ack": ack_links.LINKS.sign(key, alarm, "ann@example.com"),  # still open: its button shows
            "subscribed": status_subscriptions.CONFIRM.sign(key, subscriber_id, "ann@example.org"),
            "leave": status_subscriptions.LEAVE.sign(key, subscriber_id, "ann@example.org"),
            "approval": approval_links.LINKS.sign(key, asked.id, ADMIN.email)}  # fmt: skip


def address(path: str, links: dict[str, str]) -> str:
    """A page list's path with its link names filled in by their tokens."""
    for name, token in links.items():
        path = path.replace(f"<{name}>", token)
    return path
