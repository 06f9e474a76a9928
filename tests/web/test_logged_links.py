"""What the web process logs about a request never holds the token of a link in mail (hub/signed_links.py) or of
a calendar feed: a log is read by more people, kept longer and copied further than the mail was, and a token in it
opens the page it was made for (a calendar feed's until its owner's password changes, an unsubscribe link's for
ten years). The log names the page with the token left out."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from hub import request_links, status_subscriptions
from hub.config import Settings
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import utcnow

EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")


def test_a_refused_request_link_is_logged_without_its_token(
    client: FlaskClient, settings: Settings, intake: Intake, caplog: pytest.LogCaptureFixture
) -> None:
    event = InboundEvent(source="email", title="Printer jams", requester="ann@example.org", message_id="<p@x>")
    incident_id = intake.record(EMAIL, event).incident_id
    assert incident_id is not None
    expired = request_links.LINKS.sign(settings.secret_key, incident_id, "ann@example.org",
                                       now=utcnow() - timedelta(days=91))  # fmt: skip
    with caplog.at_level(logging.INFO, logger="switchboard.web"):
        assert client.get(f"/requests/{expired}").status_code == 410
    assert "GET /requests/<token> -> 410" in caplog.text and expired not in caplog.text


def test_a_slow_unsubscribe_is_logged_without_its_token(
    client: FlaskClient, settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.observe.SLOW_SECONDS", 0.0)  # every request is slow: the success is logged too
    token = status_subscriptions.LEAVE.sign(settings.secret_key, 1, "ann@example.org")
    with caplog.at_level(logging.INFO, logger="switchboard.web"):
        client.get(f"/status/unsubscribe/{token}")
    assert "GET /status/unsubscribe/<token> -> " in caplog.text and token not in caplog.text


def test_a_calendar_feed_is_logged_without_its_token(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="switchboard.web"):
        assert client.get("/oncall/calendar/abc.def-ghi.ics").status_code == 400
    assert "GET /oncall/calendar/<token>.ics -> 400" in caplog.text and "abc.def-ghi" not in caplog.text


def test_a_path_without_a_token_is_logged_as_it_is(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="switchboard.web"):
        client.get("/api/v1/incidents/INC-404")
    assert "GET /api/v1/incidents/INC-404 -> 401" in caplog.text
