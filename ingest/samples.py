"""A payload pasted into the rules workbench, made into the event the rules would see.

Two shapes: the fields rules test, as `switchboard rules test` reads them (title, severity, labels, source,
sender, desk_address, kind, request_type, time), or the raw JSON an integration of some kind posts, read by that
kind's adapter.
"""

from __future__ import annotations

from datetime import datetime

from hub.domain import ALERT_KINDS, InboundEvent
from hub.errors import BadInput
from hub.test_events import test_event
from ingest.errors import InvalidPayload
from ingest.webhooks import kinds
from ingest.webhooks.generic import parse_json

#: The shape `switchboard rules test` reads; every other choice is an integration kind.
TEST_SHAPE = "event"
SHAPES = (TEST_SHAPE, *ALERT_KINDS)
#: The integration name a pasted integration payload is read as coming from.
SAMPLE_INTEGRATION = "sample"


def sample_event(shape: str, text: str, now: datetime) -> tuple[InboundEvent, datetime]:
    """The event in `text` and the time it counts as arriving (`now`, or the test shape's "time").

    Raises InvalidPayload naming what to fix.
    """
    if shape not in SHAPES:
        raise InvalidPayload(f"unknown payload shape {shape!r}; use one of: {', '.join(SHAPES)}")
    payload = parse_json(text.encode(), what="the payload")
    if shape == TEST_SHAPE:
        try:
            return test_event(payload, now)
        except BadInput as exc:
            raise InvalidPayload(str(exc)) from None
    events = kinds.normalise(shape, payload, integration=SAMPLE_INTEGRATION)
    if not events:
        raise InvalidPayload(f"this {shape} payload holds no alert to test")
    return events[0], now
