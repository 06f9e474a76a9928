"""Requests that arrive as a requester's email, recorded through the real intake: what tests of the requester's
own pages and lists start from."""

from __future__ import annotations

import itertools

from hub.domain import InboundEvent
from hub.intake import Intake, Raw

ANN = "ann@example.org"
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: x\r\n\r\ny")
_NUMBERS = itertools.count()


def mailed_in(intake: Intake, title: str, requester: str = ANN) -> int:
    """Record `title` as a new email from `requester` (each with a Message-ID of its own); the incident's id."""
    event = InboundEvent(source="email", title=title, requester=requester,
                         message_id=f"<{next(_NUMBERS)}@example.org>")  # fmt: skip
    outcome = intake.record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id
