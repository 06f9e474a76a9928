"""The mail telling someone their on-call shift began, delivered through the real relay by a worker."""

from __future__ import annotations

from datetime import timedelta

from hub import groups, oncall
from hub.accounts import create_user
from hub.models import utcnow
from hub.recipients import Sender
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts
from tests.staff import agents


def test_the_shift_mail_reaches_the_person_on_call_with_a_link_to_the_rota(parts: Parts) -> None:
    now = utcnow()
    with parts.db.transaction() as session:
        create_user(session, email="bob@example.com", password="long enough", role="agent")
        groups.save_group(session, "dba", agents(session, "ann@example.com", "bob@example.com"))
        first = f"{now - timedelta(days=1, minutes=5):%Y-%m-%d %H:%M}"  # ann's day ended five minutes ago
        oncall.set_rotation(session, "dba", zone="UTC", shift="1d", handoff=first, now=now)
    assert oncall.announce_shifts(parts.db, Sender(parts.settings.desk_address, parts.settings.base_url), now) == 1
    deliver_everything(parts.queue, parts.db)
    [received] = parts.sink.handler.wait_for(1)
    message = received.message
    assert message["To"] == "bob@example.com" and message["Subject"].startswith("You are on call for dba until ")
    text = message.get_body(("plain",)).get_content()
    assert "Your on-call shift for dba began " in text and "when ann@example.com takes over" in text
    assert f"{parts.settings.base_url}/oncall" in text and message["Auto-Submitted"] == "auto-generated"
