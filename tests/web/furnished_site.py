"""One site with data on every page, for the checks that visit every page (tests/web/test_accessibility.py in
Chromium, tests/web/test_html_validity.py through the test client): an incident with a timeline, a problem, a
change, a CI, a group on call, an article, an approval, and the signed links a requester and an approver are
mailed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import Flask

from hub import (
    accounts,
    approval_links,
    approvals,
    catalogue,
    changes,
    cis,
    groups,
    incident_notes,
    knowledge,
    my_requests,
    oncall,
    problems,
    request_links,
    silences,
)
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Raw
from hub.models import utcnow
from hub.saved_replies import add_reply
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

#: Pages made from the site's data: on a fresh database its incident, problem, change and article are the first.
DETAIL_PAGES = ("incidents/INC-1", "problems/PRB-1", "changes/CHG-1", "cis/db1.example.com", "articles", "articles/1")
#: Pages without a login; <list> and <request> stand for the signed links a requester is mailed.
PUBLIC_PAGES = ("login", "help", "help/1", "status", "help/ask", "help/my-requests", "help/my-requests/<list>",
                "requests/<request>", "approve/<approval>")  # fmt: skip


@contextmanager
def furnished_app(home: Path, migrated_sqlite: Path) -> Iterator[tuple[Flask, dict[str, str]]]:
    """An app on its own furnished database under `home`, and the links `furnish` made; closed after."""
    settings = make_settings(home / "var")
    db = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    app = create_app(settings, db=db)
    app.jinja_env.bytecode_cache = TEMPLATES
    try:
        yield app, furnish(settings, db)
    finally:
        with app.app_context():
            services().close()
        db.dispose()


def furnish(settings: Settings, db: Database) -> dict[str, str]:
    """Fill a fresh database with something for every page to show; return the tokens of a requester's mailed links,
    by the names PUBLIC_PAGES give them."""
    now = utcnow()
    with db.transaction() as session:
        accounts.create_user(session, email=ADMIN.email, password=PASSWORD, role="admin")
        accounts.create_user(session, email="ann@example.com", password=PASSWORD, role="agent")
        accounts.create_user(session, email=LONG_ADDRESS, password=PASSWORD, role="agent")
        accounts.create_integration(session, name="monitoring")
        catalogue.add_service(session, name="mail", public=True, description="Email for everyone")
        cis.create(session, cis.CiFields("db1.example.com", "database", service="mail", owner="ann@example.com",
                                         attributes={"ip": "10.0.0.5"}))  # fmt: skip
        groups.save_group(session, "dba", [ADMIN.email, "ann@example.com", LONG_ADDRESS])
        oncall.set_rotation(session, "dba", zone="UTC", shift="1d", handoff="00:00", now=now)
        silences.add_silence(session, matchers=[silences.parse_matcher("labels.service=db")],
                             ends_at=now + timedelta(hours=2), comment="upgrade", created_by=ADMIN.email)  # fmt: skip
        add_reply(session, name="VPN update", text="Please update the VPN client.", by=ADMIN.email)
        article = knowledge.add(session, title="When the printer jams", body="Open tray 2.", published=True,
                                by=ADMIN.email)  # fmt: skip
        # Planned now, in a freeze added after it: the calendar's cell for today shows a change and a freeze.
        patch = changes.NewChange(title="Patch db1", service="mail", approvers=("ann@example.com",),
                                  planned_start=now, planned_end=now + timedelta(hours=1))  # fmt: skip
        change = changes.create(session, patch, ADMIN.email).ref
        changes.add_freeze(session, name="year-end", starts_at=now - timedelta(hours=1),
                           ends_at=now + timedelta(hours=1), created_by=ADMIN.email)  # fmt: skip
        article_id = article.id
    raw = Raw(source="email", content_type="message/rfc822", body=b"x")
    mail = InboundEvent(source="email", title="Printer on floor 3", description="It jams every second page.",
                        requester="ann@example.org", message_id="<jam@example.org>")  # fmt: skip
    incident_id = make_intake(settings, db).record(raw, mail).incident_id
    assert incident_id == 1 and article_id == 1 and change == "CHG-1", "DETAIL_PAGES name the first of each"
    alert = InboundEvent(source="email", title=LONG_TITLE, description=LONG_TITLE, requester=LONG_ADDRESS)
    make_intake(settings, db).record(raw, alert)
    incident_notes.add_note(db, incident_id, "Toner supplier is late again, @ann", Actor(ADMIN.email))
    incident_notes.reply(db, incident_id, "Please open tray 2.", Actor(ADMIN.email),
                         Mail("desk@example.com", settings.base_url))  # fmt: skip
    assert problems.create(db, "Printers jam on humid days", ADMIN.email, incident_ids=(incident_id,)) == 1
    # Waiting for the admin: their Approvals page, the incident's Approvals box and the approver's link show it.
    asked = approvals.ask(db, incident_id, ADMIN.email, "A new printer is within budget?", Actor("ann@example.com"),
                          Mail("desk@example.com", settings.base_url))  # fmt: skip
    return {"request": request_links.LINKS.sign(settings.secret_key, incident_id, "ann@example.org"),
            "list": my_requests.LINKS.sign(settings.secret_key, 0, "ann@example.org"),
            "approval": approval_links.LINKS.sign(settings.secret_key, asked.id, ADMIN.email)}  # fmt: skip


def address(path: str, links: dict[str, str]) -> str:
    """A page list's path with its link names filled in by their tokens."""
    for name, token in links.items():
        path = path.replace(f"<{name}>", token)
    return path
