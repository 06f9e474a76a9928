"""Every page an admin reaches by following links answers without a server error, and no link leads nowhere.

The hub is seeded as a desk in use would be (mail with a file, alerts that recur and became a problem, a change
on its way, a silence, channels, groups, SLA policies, a dead letter and a refused body), set up through the same
commands the docs give. Then the crawl starts at the dashboard and follows every same-site link it sees. It runs
on SQLite and on PostgreSQL, whose SQL is stricter (GROUP BY, comparisons, widths): every page's queries run there.
"""

from __future__ import annotations

import re
import shlex
from collections import deque
from collections.abc import Callable
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import update

from hub import major_incidents, reviews, triage
from hub.agent_action import Actor, Mail
from hub.cli import main
from hub.db import Database
from hub.intake import Intake
from hub.models import OutboxMessage
from ingest.mail_intake import store_message
from tests.web.both_databases import runner_on_the_same_database, settings_on_either_database  # noqa: F401
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in, post_event

#: The crawl's bound: far more than the pages the seed makes, so reaching it means links multiply without end.
MOST_PAGES = 600

SETUP = """
user create --email ann@example.com --role agent --password 'a long passphrase'
group set dba --member ann@example.com
service add --name db --owner-group dba --description "PostgreSQL clusters"
calendar add --name office --tz Europe/Berlin --hours "mon-fri 09:00-17:00"
sla add --name P1 --priority P1 --first-response 30m --resolution 4h
sla add --name "P3 office" --priority P3 --first-response 4h --resolution 3d --calendar office
channel create --kind email --name dba-team --to dba@example.com
channel create --kind webhook --name chatops --url https://chat.example/hooks/42
escalation create --name db-oncall --step 5m:ann@example.com --step 15m:group:dba
rules add --name "Critical alerts to dba" --field severity --value critical --category outage --assign ann@example.com
silence add --match labels.team=batch --duration 2h --comment "batch window" --as ann@example.com
freeze add --name year-end --starts 2026-12-20 --duration 14d --reason "peak trading"
change create --title "Upgrade PostgreSQL to 16" --service db --approver ann@example.com --as ann@example.com
change advance CHG-1 assess --as ann@example.com
"""


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "link": "href", "img": "src"}.get(tag)
        self.found += [value for name, value in attrs if name == wanted and value]


def links_in(html: str) -> list[str]:
    """Same-site paths linked from a page, without fragments (mail-to, outside sites and plain anchors dropped)."""
    parser = _Links()
    parser.feed(html)
    paths = []
    for link in parser.found:
        target = urldefrag(link)[0]
        parts = urlsplit(target)
        if target.startswith("/") and not parts.netloc:
            paths.append(target)
    return paths


def seed(runner: CliRunner, client: FlaskClient, integration: IntegrationCredentials, intake: Intake,
         db: Database) -> None:  # fmt: skip
    for line in SETUP.strip().splitlines():
        result = runner.invoke(main, shlex.split(line))
        assert result.exit_code == 0, f"switchboard {line}: {result.output}"
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Ann Example <ann@acme.example>", "helpdesk@localhost", "Printer"
    mail.set_content("Third floor.")
    mail.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="report.pdf")
    store_message(intake, bytes(mail))
    alert = {"title": "Disk full", "dedup_key": "disk-db1", "severity": "critical", "labels": {"team": "db"}}
    for _ in range(3):  # a recurring alert: suggested as a problem
        post_event(client, integration.name, integration.secret, alert)
        post_event(client, integration.name, integration.secret, {"status": "resolve", "dedup_key": "disk-db1"})
    assert post_event(client, integration.name, integration.secret, "{not json").status_code == 400
    assert runner.invoke(main, ["rules", "add", "--name", "Mail to desk", "--field", "source", "--value", "email",
                                "--category", "request"]).exit_code == 0  # fmt: skip
    page = client.get("/problems").get_data(as_text=True)  # the recurring alert, filed as a problem
    suggestion = re.search(r'name="suggestion" value="([^"]+)"', page)
    assert suggestion is not None, "the recurring alert was not suggested as a problem"
    filed = client.post("/problems", data={"csrf_token": csrf_token(page), "suggestion": suggestion.group(1)})
    assert filed.status_code == 302
    with db.transaction() as session:  # one notification given up on, for the dead-letter list
        session.execute(update(OutboxMessage).where(OutboxMessage.id == 1).values(status="dead", last_error="550"))
    ann, mail = Actor("ann@example.com"), Mail("helpdesk@localhost", "http://localhost")  # a reviewed major incident
    major_incidents.declare(db, 1, "Nobody can print", ann, mail)
    triage.change_status(db, 1, "resolve", ann, mail)
    reviews.start(db, 1, ann)
    reviews.file_problem(db, 1, reviews.add_action(db, 1, "Stock toner", ann), ann)


def test_every_page_an_admin_can_reach_answers_and_no_link_is_dead(
    runner: CliRunner,
    client: FlaskClient,
    make_user: Callable[..., Login],
    integration: IntegrationCredentials,
    intake: Intake,
    db: Database,
) -> None:
    assert log_in(client, make_user(email="root@example.com", role="admin")).status_code == 302
    seed(runner, client, integration, intake, db)
    seen: dict[str, str] = {"/dashboard": "the start"}
    todo = deque(["/dashboard"])
    broken: list[str] = []
    while todo:
        path = todo.popleft()
        response = client.get(path)
        if response.status_code >= 400:
            broken.append(f"{path} answered {response.status_code} (linked from {seen[path]})")
            continue
        if not response.content_type.startswith("text/html"):
            continue
        for link in links_in(response.get_data(as_text=True)):
            # A view of a page (a filter, a sort, the calendar's next month) is checked, but only its plain links
            # are followed: otherwise "next" goes on for ever.
            if "?" in path and "?" in link:
                continue
            if link not in seen:
                seen[link] = path
                todo.append(link)
        assert len(seen) <= MOST_PAGES, f"links keep multiplying: {sorted(seen)[-20:]}"
    assert broken == []
    # The crawl reached the kinds of page the seed made, so an unlinked area would show as missing here.
    reached = ("/incidents/INC-1", "/problems/PRB-1", "/changes/CHG-1", "/reviews", "/incidents/INC-1/review",
               "/silences", "/outbox?state=dead", "/events/unprocessable", "/rules", "/reports/sla", "/users",
               "/groups", "/mailboxes", "/audit", f"/integrations/{integration.name}", "/static/app.css")  # fmt: skip
    for expected in reached:
        assert any(path.startswith(expected) for path in seen), f"no link reached {expected}: {sorted(seen)}"
