"""Status updates by mail through the real worker and relay: ask, confirm from the mail, get an update, stop it."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from hub import catalogue
from hub.domain import InboundEvent
from hub.intake import Raw
from hub.intake_notices import NoticeSettings
from hub.maintenance import upkeep
from hub.models import StatusSubscriber
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts
from tests.web.helpers import csrf_token
from web import create_app


def delivered(parts: Parts, count: int) -> EmailMessage:
    deliver_everything(parts.queue, parts.db)
    return parts.sink.handler.wait_for(count)[-1].message


def press(client: FlaskClient, url: str) -> str:
    path = urlsplit(url).path
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(page)}).get_data(as_text=True)


def test_a_subscriber_confirms_from_the_mail_gets_an_outage_and_stops_with_one_click(parts: Parts) -> None:
    with parts.db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
    client = create_app(parts.settings, db=parts.db).test_client()
    form = client.get("/status/subscribe").get_data(as_text=True)
    client.post("/status/subscribe", data={"csrf_token": csrf_token(form), "email": "ann@example.org"})

    asking = delivered(parts, 1)
    assert asking["To"] == "ann@example.org" and asking["Subject"] == "Confirm that you want service status updates"
    [confirm] = re.findall(r"\S+/status/confirm/\S+", asking.get_body(("plain",)).get_content())
    assert "Confirmed: ann@example.org" in press(client, confirm)

    settings = parts.settings
    dispatchers = NoticeSettings(settings.desk_addresses, settings.base_url, secret_key=settings.secret_key)
    upkeep(parts.db, dispatchers)  # the dispatcher's round: the page as it was is noted, not mailed
    alert = InboundEvent(source="generic", title="mx1: queue at 40k", dedup_key="mx1", severity="critical",
                         labels={"service": "mail"})  # fmt: skip
    parts.intake.record(Raw(source="generic", content_type="application/json", body=b"{}"), alert)
    upkeep(parts.db, dispatchers)

    update = delivered(parts, 2)
    text = update.get_body(("plain",)).get_content()
    assert update["Subject"] == "mail: Major outage" and "mail: Major outage (was: Operational)" in text
    assert "mx1" not in update.as_string()  # the incident's title stays inside
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    leave = update["List-Unsubscribe"].strip("<>")
    assert f"To stop them: {leave}" in text.replace("\r\n", "\n")
    one_click = create_app(parts.settings, db=parts.db).test_client()  # a mail provider: no cookie, no token
    assert one_click.post(urlsplit(leave).path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with parts.db.read() as session:
        assert session.get(StatusSubscriber, 1) is None
