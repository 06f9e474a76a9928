"""An event written by hand, for trying rules (`switchboard rules test`, the workbench): the generic webhook's
fields plus the ones only other sources set (source, sender, desk address, the help centre's kind and request
type) and a `time` for the clock (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from hub.domain import INCIDENT_KINDS, SEVERITIES, Action, InboundEvent
from hub.errors import BadInput

EXAMPLE = '{"title": "Disk full", "severity": "critical", "labels": {"team": "db"}}'


def test_event(payload: Any, now: datetime) -> tuple[InboundEvent, datetime]:
    """The event and the clock to decide it at (`now`, unless the payload gives a `time`)."""
    if not isinstance(payload, dict):
        raise BadInput(f"the event must be one JSON object, e.g. {EXAMPLE}")
    severity = str(payload.get("severity", "unknown")).lower()
    if severity not in SEVERITIES:
        raise BadInput(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    labels = payload.get("labels") or {}
    if not isinstance(labels, dict):
        raise BadInput('labels must be an object, e.g. {"team": "db"}')
    action = str(payload.get("status", payload.get("action", "trigger")))
    if action not in set(Action):
        raise BadInput(f"status must be one of {', '.join(Action)}, not {action!r}")
    kind = str(payload.get("kind", INCIDENT_KINDS[0]))
    if kind not in INCIDENT_KINDS:
        raise BadInput(f"kind must be one of {', '.join(INCIDENT_KINDS)}, not {kind!r}")
    if payload.get("time"):
        try:
            now = datetime.fromisoformat(str(payload["time"]))
        except ValueError:
            raise BadInput("time must be ISO 8601, e.g. 2026-03-02T09:30:00+01:00") from None
        now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    event = InboundEvent(
        source=str(payload.get("source", "generic")),
        title=str(payload.get("title", payload.get("subject", "(test event)"))),
        description=str(payload.get("description", payload.get("body", ""))),
        severity=severity,
        action=Action(action),
        dedup_key=_text(payload.get("dedup_key")),
        labels=MappingProxyType({str(k): str(v) for k, v in labels.items()}),
        integration=_text(payload.get("integration")),
        requester=_text(payload.get("requester", payload.get("sender"))),
        desk_address=_text(payload.get("desk_address")),
        kind=kind,
        request_type=_text(payload.get("request_type")),
    )
    return event, now


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
