"""Zabbix, through a webhook media type that posts Switchboard's own JSON shape (Zabbix has no standard body).

docs/integrations.md has the media type script that builds this from Zabbix macros:

    {
      "event_id": "2751",              {EVENT.ID}: the problem's id, which its recovery carries too (required)
      "name": "High CPU utilization",  {EVENT.NAME} (required for PROBLEM)
      "severity": 4,                   {EVENT.NSEVERITY} 0..5, or {EVENT.SEVERITY}'s name (optional)
      "status": "PROBLEM",             PROBLEM | RESOLVED | ACKNOWLEDGED ("OK" is taken as RESOLVED)
      "host": "web01",                 {HOST.NAME} (optional)
      "tags": [{"tag": "scope", "value": "performance"}],   {EVENT.TAGSJSON}, or {"scope": "performance"}
      "url": "https://zabbix.example.com/tr_events.php?triggerid=13491&eventid=2751",   (optional)
      "opdata": "Current utilization: 97.2 %",   {EVENT.OPDATA} (optional)
      "message": "..."                 {ALERT.MESSAGE} (optional)
    }

Mapping:
- action: status PROBLEM -> TRIGGER, ACKNOWLEDGED -> ACKNOWLEDGE, RESOLVED (or OK) -> RESOLVE.
- severity: 0..5, Not classified/Information/Warning/Average/High/Disaster -> unknown/info/warning/warning/high/
  critical; absent -> unknown.
- dedup_key: "zabbix:<event_id>", so the recovery finds the incident its problem opened.
- title: "<host>: <name>" (just the name when it already names the host, or there is no host).
- description: the message, then operational data, host, severity, tags and the link to the event in Zabbix.
- labels: the tags (a tag given several values gets them comma-separated), then `host`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from hub.domain import Action, InboundEvent
from hub.numbers import whole_number
from ingest.errors import InvalidPayload
from ingest.webhooks.fields import optional_str
from ingest.webhooks.generic import MAX_LABELS, MAX_TITLE

SOURCE = "zabbix"

# Zabbix's severities by number ({EVENT.NSEVERITY}), with their names ({EVENT.SEVERITY}) and ours.
SEVERITY_NAMES = ("Not classified", "Information", "Warning", "Average", "High", "Disaster")
SEVERITY = ("unknown", "info", "warning", "warning", "high", "critical")
STATUS = {
    "PROBLEM": Action.TRIGGER,
    "ACKNOWLEDGED": Action.ACKNOWLEDGE,
    "RESOLVED": Action.RESOLVE,
    "OK": Action.RESOLVE,  # {TRIGGER.STATUS} says OK where {EVENT.STATUS} says RESOLVED
}
_SEVERITY_BY_NAME = {name.lower(): number for number, name in enumerate(SEVERITY_NAMES)}


def normalise(payload: Any, *, integration: str) -> list[InboundEvent]:
    """Make the event for one Zabbix notification; every error names the field and what it should be."""
    if not isinstance(payload, dict):
        raise InvalidPayload('body must be a JSON object, like {"event_id": "2751", "status": "PROBLEM", ...}')
    event_id = _event_id(payload.get("event_id"))
    status = (optional_str(payload, "status") or "").strip().upper()
    if status not in STATUS:
        shown = repr(payload["status"]) if status else "missing"
        raise InvalidPayload(f"status must be PROBLEM, ACKNOWLEDGED or RESOLVED, not {shown}")
    action = STATUS[status]
    dedup_key = f"zabbix:{event_id}"
    name = (optional_str(payload, "name") or "").strip()
    if not name and action is Action.TRIGGER:
        raise InvalidPayload("name is required for a PROBLEM: the event name, {EVENT.NAME}")
    host = (optional_str(payload, "host") or "").strip()
    severity = _severity(payload.get("severity"))
    tags = _tags(payload.get("tags"))
    labels = {**tags, **({"host": host} if host else {})}
    return [
        InboundEvent(
            source=SOURCE,
            integration=integration,
            title=_title(name, host, action, dedup_key)[:MAX_TITLE],
            description=_description(payload, host, severity, tags),
            severity=SEVERITY[severity] if severity is not None else "unknown",
            action=action,
            dedup_key=dedup_key,
            labels=MappingProxyType({key: labels[key] for key in sorted(labels)[:MAX_LABELS]}),
        )
    ]


def _event_id(value: Any) -> str:
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()):  # `²` is a digit to isdigit(), not to Zabbix
        shown = "missing" if value is None else repr(value)
        raise InvalidPayload(f"event_id must be Zabbix's numeric event id, {{EVENT.ID}}, not {shown}")
    return text


def _severity(value: Any) -> int | None:
    """Zabbix's severity number, from the number itself (0..5, also as text) or its name; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(SEVERITY_NAMES):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if (number := whole_number(text)) is not None and number < len(SEVERITY_NAMES):
            return number
        if text in _SEVERITY_BY_NAME:
            return _SEVERITY_BY_NAME[text]
    raise InvalidPayload(f"severity must be 0..5 or one of {', '.join(SEVERITY_NAMES)}, not {value!r}")


def _tags(value: Any) -> dict[str, str]:
    """Event tags as labels, from {EVENT.TAGSJSON}'s [{"tag": ..., "value": ...}] or a plain object."""
    if value is None:
        return {}
    if isinstance(value, dict):
        items = [(f"tags.{name}", name, item) for name, item in value.items()]
    elif isinstance(value, list):
        items = [(f"tags[{i}].value", *_tag(item, i)) for i, item in enumerate(value)]
    else:
        raise InvalidPayload('tags must be a list like [{"tag": "scope", "value": "performance"}] or an object')
    tags: dict[str, list[str]] = {}
    for path, name, tag_value in items:
        if tag_value is not None and (isinstance(tag_value, bool) or not isinstance(tag_value, str | int | float)):
            raise InvalidPayload(f"{path} must be a string")
        values = tags.setdefault(str(name).strip(), [])
        if tag_value is not None and str(tag_value) not in values:
            values.append(str(tag_value))
    return {name: ",".join(values) for name, values in tags.items()}


def _tag(item: Any, i: int) -> tuple[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("tag"), str) or not item["tag"].strip():
        raise InvalidPayload(f'tags[{i}] must be an object with a non-empty "tag", like {{"tag": "scope"}}')
    return item["tag"], item.get("value")


def _title(name: str, host: str, action: Action, dedup_key: str) -> str:
    if not name:
        return f"{'Resolve' if action is Action.RESOLVE else 'Acknowledge'} {dedup_key}"
    return f"{host}: {name}" if host and host not in name else name


def _description(payload: dict[str, Any], host: str, severity: int | None, tags: dict[str, str]) -> str:
    facts = []
    if opdata := (optional_str(payload, "opdata") or "").strip():
        facts.append(f"Operational data: {opdata}")
    if host:
        facts.append(f"Host: {host}")
    if severity is not None:
        facts.append(f"Severity: {SEVERITY_NAMES[severity]}")
    if tags:
        facts.append("Tags: " + ", ".join(f"{name}:{value}" if value else name for name, value in tags.items()))
    if url := (optional_str(payload, "url") or "").strip():
        facts.append(f"Zabbix: {url}")
    message = (optional_str(payload, "message") or "").strip()
    return "\n\n".join(section for section in (message, "\n".join(facts)) if section)
