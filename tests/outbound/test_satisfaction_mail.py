"""The resolution mail a requester receives through the real relay: its "How did we do?" links open the page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from hub import triage
from hub.agent_action import Actor, Mail
from hub.models import SatisfactionAnswer
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts, owe_acknowledgement
from web import create_app


def test_resolution_mail_delivered_to_the_requester_links_to_the_survey_page(parts: Parts) -> None:
    incident_id = owe_acknowledgement(parts.intake, parts.db).incident_id
    assert incident_id is not None
    settings = parts.settings
    mail = Mail(settings.desk_address, settings.base_url, secret_key=settings.secret_key)
    triage.change_status(parts.db, incident_id, "resolve", Actor("agent@example.com"), mail)
    deliver_everything(parts.queue, parts.db)
    received = parts.sink.handler.wait_for(2)
    [resolved] = [r.message for r in received if "Resolved" in r.message["Subject"]]
    text = resolved.get_body(("plain",)).get_content()
    html = resolved.get_body(("html",)).get_content()
    survey = re.escape(f"{settings.base_url}/satisfaction/")
    in_text = re.findall(rf"(?:Good|Bad): ({survey}\S+)", text)
    in_html = re.findall(rf'href="({survey}[^"]+)"', html)
    assert len(in_text) == 2 and [u.replace("&amp;", "&") for u in in_html] == in_text

    client = create_app(settings, db=parts.db).test_client()
    for url in in_text:
        parts_of = urlsplit(url)
        page = client.get(f"{parts_of.path}?{parts_of.query}")
        assert page.status_code == 200 and f"INC-{incident_id}" in page.get_data(as_text=True)
    with parts.db.read() as session:
        assert session.scalar(select(func.count()).select_from(SatisfactionAnswer)) == 0  # opening is not answering
