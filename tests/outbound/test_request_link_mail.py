"""The acknowledgement a requester receives through the real relay links to their request's own page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from hub import triage
from hub.agent_action import Actor, Mail
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts, owe_acknowledgement
from web import create_app


def test_the_delivered_acknowledgement_links_to_where_the_request_stands(parts: Parts) -> None:
    incident_id = owe_acknowledgement(parts.intake, parts.db).incident_id
    deliver_everything(parts.queue, parts.db)
    [received] = parts.sink.handler.wait_for(1)
    text = received.message.get_body(("plain",)).get_content()
    html = received.message.get_body(("html",)).get_content()
    [url] = re.findall(rf"See where it stands at any time: ({re.escape(parts.settings.base_url)}/requests/\S+)", text)
    assert f'href="{url}"' in html
    page = create_app(parts.settings, db=parts.db).test_client().get(urlsplit(url).path)
    assert page.status_code == 200 and f"INC-{incident_id}" in page.get_data(as_text=True)
    assert '<strong id="state">Open</strong>' in page.get_data(as_text=True)


def test_mail_to_a_requester_never_links_to_the_desks_own_incident_page(parts: Parts) -> None:
    incident_id = owe_acknowledgement(parts.intake, parts.db).incident_id
    assert incident_id is not None
    triage.change_status(parts.db, incident_id, "resolve", Actor("bob@example.com"),
                         Mail(parts.settings.desk_address, parts.settings.base_url, secret_key="k"),
                         resolution="Cleared the jam.")  # fmt: skip
    deliver_everything(parts.queue, parts.db)
    received = {m.message["Subject"]: m.message for m in parts.sink.handler.wait_for(2)}  # in either order
    ref = f"INC-{incident_id}"
    assert sorted(received) == [f"[{ref}] Printer on fire", f"[{ref}] Resolved: Printer on fire"]
    for mail in received.values():
        text, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
        assert f"{parts.settings.base_url}/requests/" in text and f"{parts.settings.base_url}/requests/" in html
        assert "/incidents/" not in text and "/incidents/" not in html
