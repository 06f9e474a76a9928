"""A major incident's page reaches the people paged, and a published review its link, through the real worker and
relay."""

from __future__ import annotations

from hub import accounts, groups, major_incidents, reviews, triage
from hub.agent_action import Actor, Mail
from hub.domain import InboundEvent
from hub.intake import Raw
from hub.mail_templates import MailTemplates
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts

ALERT = Raw(source="generic", content_type="application/json", body=b"{}")


def test_declaring_a_major_incident_pages_the_coordinator_and_the_group_by_mail(parts: Parts) -> None:
    with parts.db.transaction() as session:
        for email in ("bob@example.com", "dave@example.com"):
            accounts.create_user(session, email=email, password="correct horse", role="agent")
        groups.save_group(session, "major-incident", ["dave@example.com"])
    outcome = parts.intake.record(ALERT, InboundEvent(source="generic", title="Payroll <b>down</b>", dedup_key="pay"))
    assert outcome.incident_id is not None
    mail = Mail(parts.settings.desk_address, parts.settings.base_url, MailTemplates.at(parts.settings.home))
    major_incidents.declare(parts.db, outcome.incident_id, "Nobody can run payroll", Actor("ann@example.com"), mail,
                            coordinator="bob@example.com", group="major-incident")  # fmt: skip

    deliver_everything(parts.queue, parts.db)
    received = {m.message["To"]: m.message for m in parts.sink.handler.wait_for(2)}
    ref = f"INC-{outcome.incident_id}"
    assert set(received) == {"bob@example.com", "dave@example.com"}
    page = received["bob@example.com"]
    assert page["Subject"] == f"[{ref}] Major incident: Payroll <b>down</b>"
    text = page.get_body(("plain",)).get_content()
    assert "Coordinator: bob@example.com (you)" in text and f"{parts.settings.base_url}/incidents/{ref}" in text
    assert "Coordinator: bob@example.com (you)" not in received["dave@example.com"].get_body(("plain",)).get_content()
    html = page.get_body(("html",)).get_content()
    assert "Payroll &lt;b&gt;down&lt;/b&gt;" in html and "<b>down</b>" not in html


def test_a_published_review_mails_its_link_to_the_coordinator(parts: Parts) -> None:
    with parts.db.transaction() as session:
        accounts.create_user(session, email="bob@example.com", password="correct horse", role="agent")
    outcome = parts.intake.record(ALERT, InboundEvent(source="generic", title="Payroll down", dedup_key="pay"))
    number = outcome.incident_id
    assert number is not None
    mail, ann = Mail(parts.settings.desk_address, parts.settings.base_url), Actor("ann@example.com")
    major_incidents.declare(parts.db, number, "Nobody can run payroll", ann, mail, coordinator="bob@example.com")
    triage.change_status(parts.db, number, "resolve", ann, mail)
    reviews.start(parts.db, number, ann)
    reviews.save(parts.db, number, {"summary": "The payroll database ran out of disk."}, ann)
    reviews.publish(parts.db, number, ann, mail)

    deliver_everything(parts.queue, parts.db)
    [published] = [m.message for m in parts.sink.handler.wait_for(2) if "review" in m.message["Subject"]]
    text = published.get_body(("plain",)).get_content()
    assert published["To"] == "bob@example.com"
    assert "The payroll database ran out of disk." in text
    assert f"{parts.settings.base_url}/incidents/INC-{number}/review" in text
