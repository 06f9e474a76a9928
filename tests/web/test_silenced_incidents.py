"""An incident opened under a silence says so where people look: its page's header and its row on the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from hub import silences
from hub.db import Database
from hub.domain import InboundEvent, Matcher
from hub.intake import Intake, Raw
from hub.models import utcnow

ALERT = Raw(source="generic", content_type="application/json", body=b"{}")


@pytest.fixture
def silenced_ref(db: Database, intake: Intake) -> str:
    """INC-1 opened under silence 1 ("Database upgrade"); INC-2 opened outside it."""
    with db.transaction() as session:
        silences.add_silence(session, matchers=[Matcher("labels.team", "=", "db")], comment="Database upgrade",
                             ends_at=utcnow() + timedelta(hours=2), created_by="admin@example.com")  # fmt: skip
    held = intake.record(ALERT, InboundEvent(source="generic", title="Disk full", dedup_key="d", labels={"team": "db"}))
    intake.record(ALERT, InboundEvent(source="generic", title="Web slow", dedup_key="w", labels={"team": "web"}))
    return f"INC-{held.incident_id}"


def test_the_incident_page_header_names_the_silence_it_was_opened_under(
    logged_in: FlaskClient, silenced_ref: str
) -> None:
    page = logged_in.get(f"/incidents/{silenced_ref}").get_data(as_text=True)
    header = page.split('<div class="badges">', 1)[1].split("</div>", 1)[0]
    assert "silenced by silence 1 (Database upgrade) until <time" in header


def test_the_list_marks_only_the_silenced_incidents_row(logged_in: FlaskClient, silenced_ref: str) -> None:
    page = logged_in.get("/incidents").get_data(as_text=True)
    assert page.count('class="badge silenced-badge"') == 1
    assert 'title="Opened under silence 1 (Database upgrade): no one was notified">silenced</span>' in page
