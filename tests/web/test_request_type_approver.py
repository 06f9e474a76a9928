"""A request type that names an approver: the help centre's request of that type opens with their approval asked
at once (hub/request_approvals.py), their mail carries the link to decide, and the decision reaches the request's
group; an approver deactivated since is named on the timeline instead; admins set and clear the approver on the
form, the command line and the API, which refuse anyone who is no active user, naming the field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, approval_links, approvals, groups, request_types
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, OutboxMessage, TimelineEntry
from hub.outbox import body_of
from hub.request_types import TypeView
from tests.docs import fenced, run_as_printed
from tests.servers import Received
from tests.staff import agents, deactivate
from tests.web.helpers import Login, bearer, csrf_token, log_in, statements
from tests.web.mail_desk import Desk, desk_on_the_web  # noqa: F401  (the fixture `desk`)
from tests.web.test_ask_desk import confirmation_link, incidents, press_send
from tests.web.test_request_catalogue_help import ANSWERS, ask_for

MANAGER = "manager@example.com"
WORKER = "hw@example.com"


def laptop(db: Database, approver: str | None = MANAGER) -> TypeView:
    """The laptop request type, fulfilled by the hardware group, approved by a manager who is a viewer."""
    with db.transaction() as session:
        agents(session, MANAGER, role="viewer")
        groups.save_group(session, "hardware", agents(session, WORKER))
        return request_types.add(session, name="New laptop", summary="A laptop for a new starter", group="hardware",
                                 questions=[], approver=approver)  # fmt: skip


def requested(client: FlaskClient, db: Database, shown: TypeView) -> int:
    """Ask for `shown` on the help centre and confirm it by the mailed link; the incident it opened."""
    code, _ = ask_for(client, shown, email=ANSWERS["email"], body="For Dana, starting Monday.")
    assert code == 200
    press_send(client, confirmation_link(db, ANSWERS["email"]))
    [incident] = incidents(db)
    return incident.id


def mail_to(received: list[Received], person: str) -> list[str]:
    return [r.message.get_body(("plain",)).get_content() for r in received if person in r.rcpt_tos]  # type: ignore[union-attr]


def timeline(db: Database, incident_id: int) -> list[str]:
    with db.read() as session:
        query = select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id)
        return list(session.scalars(query.order_by(TimelineEntry.id)))


def decide_by_link(desk: Desk, incident_id: int, decision: str, comment: str = "") -> None:
    """Deliver the mail so far and decide as the approver, by the link in the mail asking them."""
    desk.deliver()
    [text] = mail_to(desk.sink.handler.wait_for(3), MANAGER)
    assert text.startswith(f"The request type New laptop asks you to approve INC-{incident_id}")
    link = re.search(r"https?://\S+/approve/\S+", text)
    assert link is not None
    path = urlsplit(link.group(0)).path
    page = desk.client.get(path).get_data(as_text=True)
    fields = {"csrf_token": csrf_token(page), "decision": decision, "comment": comment}
    assert desk.client.post(path, data=fields).status_code in (200, 303)
    desk.deliver()


def test_a_request_asks_its_types_approver_whose_decision_by_link_reaches_the_group(desk: Desk) -> None:
    incident_id = requested(desk.client, desk.db, laptop(desk.db))
    with desk.db.read() as session:
        [asked] = approvals.of_incident(session, incident_id)
    assert (asked.approver, asked.asked_by, asked.state) == (MANAGER, None, "pending")
    assert f"Approval asked of {MANAGER} (New laptop requests need it)" in timeline(desk.db, incident_id)
    decide_by_link(desk, incident_id, "approve")
    told = mail_to(desk.sink.handler.received, WORKER)
    assert any("approved" in text for text in told), told


def test_a_rejection_by_link_resolves_the_request_and_mails_its_requester_why_and_the_group_the_decision(
    desk: Desk,
) -> None:
    incident_id = requested(desk.client, desk.db, laptop(desk.db))
    decide_by_link(desk, incident_id, "reject", "Not this quarter")
    with desk.db.read() as session:
        assert session.get_one(Incident, incident_id).status == "resolved"
    [resolution] = [t for t in mail_to(desk.sink.handler.received, ANSWERS["email"]) if "has been resolved" in t]
    assert "Not approved: Not this quarter" in resolution
    assert any("rejected" in text for text in mail_to(desk.sink.handler.received, WORKER))
    track = re.search(r"https?://\S+/requests/\S+", resolution)
    assert track is not None
    page = desk.client.get(urlsplit(track.group(0)).path.rstrip(".,")).get_data(as_text=True)
    assert "said no, so the desk will not go ahead" in page and "Not this quarter" in page


def test_an_approval_by_link_mails_the_requester_that_the_desk_goes_ahead(desk: Desk) -> None:
    incident_id = requested(desk.client, desk.db, laptop(desk.db))
    decide_by_link(desk, incident_id, "approve", "Charge it to R&D")
    [approved] = [m.message for m in desk.sink.handler.received
                  if ANSWERS["email"] in m.rcpt_tos and "Approved" in m.message["Subject"]]  # fmt: skip
    assert approved["Subject"] == f"[INC-{incident_id}] Approved: New laptop"
    text = approved.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Your request INC-{incident_id} was approved; the desk is working on it" in text
    assert "R&D" not in text
    with desk.db.read() as session:
        assert session.get_one(Incident, incident_id).status == "open"


REJECTION_HINT = (
    "If you reject, the requester is sent your comment as the reason. If you approve, only the desk sees it."
)


def test_the_link_page_tells_the_approver_a_rejections_comment_reaches_the_requester(
    client: FlaskClient, db: Database, settings: Settings
) -> None:
    incident_id = requested(client, db, laptop(db))
    with db.read() as session:
        [asked] = approvals.of_incident(session, incident_id)
    path = f"/approve/{approval_links.LINKS.sign(settings.secret_key, asked.id, MANAGER)}"
    html = client.get(path).get_data(as_text=True)
    assert 'aria-describedby="comment-help"' in html
    assert f'<p class="muted" id="comment-help">{REJECTION_HINT}</p>' in html


def test_the_approvals_page_tells_the_approver_a_rejections_comment_reaches_the_requester(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    manager = make_user(MANAGER, role="viewer")
    incident_id = requested(client, db, laptop(db))
    with db.read() as session:
        [asked] = approvals.of_incident(session, incident_id)
    log_in(client, manager)
    html = client.get("/approvals").get_data(as_text=True)
    assert f'aria-describedby="comment-{asked.id}-help"' in html
    assert f'<p class="muted" id="comment-{asked.id}-help">{REJECTION_HINT}</p>' in html


APPROVAL_FIRST = "Someone has to approve your request before we go ahead."


def acknowledgement(db: Database, incident_id: int) -> str:
    with db.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.incident_id == incident_id,
                                            OutboxMessage.kind == "acknowledgement")  # fmt: skip
        return body_of(session.scalars(query).one())[0]


def test_the_acknowledgement_tells_the_requester_an_approval_comes_first(client: FlaskClient, db: Database) -> None:
    incident_id = requested(client, db, laptop(db))
    assert APPROVAL_FIRST in acknowledgement(db, incident_id)


def test_a_type_whose_approver_was_deactivated_opens_the_request_saying_no_one_was_asked(
    client: FlaskClient, db: Database
) -> None:
    shown = laptop(db)
    deactivate(db, MANAGER)
    incident_id = requested(client, db, shown)
    with db.read() as session:
        assert approvals.of_incident(session, incident_id) == []
    [said] = [line for line in timeline(db, incident_id) if line.startswith("No approval asked")]
    assert MANAGER in said and "deactivated" in said and "ask someone else" in said
    assert APPROVAL_FIRST not in acknowledgement(db, incident_id)


def test_only_opening_a_request_asks_its_approver_not_a_repeat(db: Database, intake: Intake) -> None:
    laptop(db)
    raw = Raw(source="generic", content_type="application/json", body=b"{}")
    event = InboundEvent(source="generic", title="A laptop", dedup_key="laptop-dana", request_type="New laptop")
    first, repeat = intake.record(raw, event), intake.record(raw, event)
    assert first.incident_id == repeat.incident_id is not None
    with db.read() as session:
        assert len(approvals.of_incident(session, first.incident_id)) == 1


def test_an_event_naming_no_request_type_reads_no_request_type_and_asks_no_one(db: Database, intake: Intake) -> None:
    laptop(db)
    raw = Raw(source="generic", content_type="application/json", body=b"{}")
    with statements(db) as sent:
        intake.record(raw, InboundEvent(source="generic", title="Disk full", dedup_key="disk"))
    assert sent and not [s for s in sent if "request_types" in s or "approvals" in s]


def test_an_admin_sets_the_approver_on_the_form_sees_it_listed_and_clears_it(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    shown = laptop(db, approver=None)
    log_in(client, make_user(email="admin@example.com", role="admin"))
    edit = f"/request-types/{shown.id}/edit"
    fields = {"name": "New laptop", "summary": "A laptop for a new starter", "group": "hardware", "position": "0"}
    token = csrf_token(client.get(edit).get_data(as_text=True))
    assert client.post(edit, data={"csrf_token": token, **fields, "approver": MANAGER}).status_code == 303
    assert f'<td data-label="Approver">{MANAGER}</td>' in client.get("/request-types").get_data(as_text=True)
    assert f'value="{MANAGER}"' in client.get(edit).get_data(as_text=True)
    assert client.post(edit, data={"csrf_token": token, **fields, "approver": ""}).status_code == 303
    with db.read() as session:
        assert request_types.get(session, shown.id).approver is None


def test_the_form_refuses_an_approver_who_is_no_user_beside_the_field(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    log_in(client, make_user(email="admin@example.com", role="admin"))
    token = csrf_token(client.get("/request-types/new").get_data(as_text=True))
    sent = client.post("/request-types/new", data={"csrf_token": token, "name": "VPN", "summary": "Remote access",
                                                   "approver": "nobody@example.com"})  # fmt: skip
    page = sent.get_data(as_text=True)
    beside = re.search(r'id="approver"[^>]*>\s*<p class="muted"[^>]*>[^<]*</p>\s*<p class="field-error">([^<]*)', page)
    assert sent.status_code == 400 and beside is not None
    assert beside.group(1).startswith("Nobody@example.com is not an active user")


def test_the_command_line_sets_and_clears_the_approver_and_refuses_a_stranger(runner: CliRunner) -> None:
    made = runner.invoke(main, ["user", "create", "--email", MANAGER, "--role", "viewer", "--password", "long enough"])
    assert made.exit_code == 0, made.output
    added = runner.invoke(main, ["request-type", "add", "New laptop", "--summary", "A laptop", "--approver", MANAGER])
    assert added.exit_code == 0 and f"approver {MANAGER}" in added.output, added.output
    refused = runner.invoke(main, ["request-type", "set", "New laptop", "--approver", "nobody@example.com"])
    assert refused.exit_code == 1 and "approver" in refused.output and "not an active user" in refused.output
    cleared = runner.invoke(main, ["request-type", "set", "New laptop", "--approver", ""])
    assert cleared.exit_code == 0 and "approver -" in cleared.output, cleared.output


def test_the_api_sets_shows_and_clears_the_approver_and_names_the_field_it_refuses(
    client: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        headers = bearer(accounts.create_token(session, name="sync", role="admin"))
        agents(session, MANAGER, role="viewer")
    added = client.post("/api/v1/request-types", headers=headers,
                        json={"name": "VPN access", "summary": "Remote access", "approver": MANAGER})  # fmt: skip
    assert added.status_code == 201 and added.json["approver"] == MANAGER, added.json
    [listed] = client.get("/api/v1/request-types", headers=headers).json
    assert listed["approver"] == MANAGER
    path = f"/api/v1/request-types/{added.json['id']}"
    refused = client.patch(path, headers=headers, json={"approver": "nobody@example.com"})
    assert refused.status_code == 400 and refused.json["field"] == "approver"
    cleared = client.patch(path, headers=headers, json={"approver": None})
    assert cleared.status_code == 200 and cleared.json["approver"] is None


def test_the_documented_approver_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    agents(db, "boss@example.com", role="viewer")
    [adding] = fenced("docs/approvals.md", "Asked by a request type", "sh")
    [setting] = fenced("docs/requests.md", "Approval", "sh")
    printed = run_as_printed(adding + setting, settings, tmp_path).splitlines()
    approvers = [line for line in printed if "approver" in line]
    assert [("approver boss@example.com" in line, "approver -" in line) for line in approvers] == [
        (True, False),
        (True, False),
        (False, True),
    ]
