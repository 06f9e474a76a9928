"""An @mention in an internal note reaches the colleague through the real worker and relay."""

from __future__ import annotations

from hub import accounts, incident_notes
from hub.agent_action import Actor, Mail
from hub.domain import InboundEvent
from hub.intake import Raw
from hub.mail_templates import MailTemplates
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts


def test_a_mentioned_colleague_receives_the_note_with_the_incidents_link(parts: Parts) -> None:
    with parts.db.transaction() as session:
        accounts.create_user(session, email="bob@example.com", password="correct horse", role="agent")
    alert = InboundEvent(source="generic", title="Switch in room 4 blinks amber", dedup_key="sw4")
    outcome = parts.intake.record(Raw(source="generic", content_type="application/json", body=b"{}"), alert)
    assert outcome.incident_id is not None
    mail = Mail(parts.settings.desk_address, parts.settings.base_url, MailTemplates.at(parts.settings.home))
    incident_notes.add_note(parts.db, outcome.incident_id, "@bob it is the uplink <b>port</b>", Actor("ann"), mail)

    deliver_everything(parts.queue, parts.db)
    [received] = [m.message for m in parts.sink.handler.wait_for(1) if m.message["To"] == "bob@example.com"]
    ref = f"INC-{outcome.incident_id}"
    assert received["Subject"] == f"[{ref}] ann mentioned you: Switch in room 4 blinks amber"
    text = received.get_body(("plain",)).get_content()
    assert "@bob it is the uplink <b>port</b>" in text and f"{parts.settings.base_url}/incidents/{ref}" in text
    html = received.get_body(("html",)).get_content()
    assert "&lt;b&gt;port&lt;/b&gt;" in html and "<b>port</b>" not in html
