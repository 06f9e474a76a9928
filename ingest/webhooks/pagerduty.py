"""PagerDuty Events API v2 (`POST /v2/enqueue`): tools that page PagerDuty can page Switchboard unchanged.

The body is PagerDuty's: `routing_key` (ignored here: the endpoint authenticates with it), `event_action`
("trigger", "acknowledge" or "resolve"), `dedup_key`, and for a trigger `payload` {`summary`, `source`,
`severity`, optional `timestamp`, `component`, `group`, `class`, `custom_details`} with optional top-level
`client`, `client_url`, `links` [{href, text}] and `images` [{src, href, alt}]. Acknowledge and resolve need only
`dedup_key`; PagerDuty ignores their `payload`, and so does this module.

Mapping:
- action: event_action trigger/acknowledge/resolve -> TRIGGER/ACKNOWLEDGE/RESOLVE.
- severity: payload.severity critical/error/warning/info -> critical/high/warning/info (acknowledge and resolve
  carry none: unknown).
- dedup_key: `dedup_key`; a trigger without one gets None, and the endpoint makes one up and answers it, as
  PagerDuty does.
- title: payload.summary (acknowledge/resolve: "Acknowledge <key>" / "Resolve <key>").
- description: custom_details as "name: value" lines, the timestamp, client, links and images.
- labels: payload.source, component, group and class, under those names.

PagerDuty answers a bad event 400 with every problem in an `errors` list: `validation_errors` returns that list,
worded as PagerDuty words it ("'payload.summary' is missing or blank"), and `normalise` raises `InvalidEvent`,
an `InvalidPayload` that carries it.

Change events (`POST /v2/change/enqueue`, sent by CI pipelines to a `deploy` integration) are recorded as deploys:
`payload` {`summary` (required), `timestamp`, `source`, `custom_details`} and `links`. A change event names no
service, so `custom_details.service` does (else `payload.source`); `custom_details.version`, `environment` and
`author` fill in the rest. `change_errors` and `normalise_change` mirror the two functions above.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from hub.deploys import Deploy
from hub.domain import Action, InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks.generic import MAX_TITLE

SOURCE = "pagerduty"
MAX_DEDUP_KEY = 255  # PagerDuty's documented limit

ACTIONS = {"trigger": Action.TRIGGER, "acknowledge": Action.ACKNOWLEDGE, "resolve": Action.RESOLVE}
SEVERITY = {"critical": "critical", "error": "high", "warning": "warning", "info": "info"}
_LABEL_FIELDS = ("source", "component", "group", "class")
_OPTIONAL_TEXT = ("timestamp", "component", "group", "class")


class InvalidEvent(InvalidPayload):
    """A PagerDuty event that PagerDuty would refuse, with every problem so the endpoint can list them."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("Event object is invalid: " + "; ".join(self.errors))


def validation_errors(payload: Any) -> list[str]:
    """Every problem with an event, in PagerDuty's words; empty when the event is valid."""
    if not isinstance(payload, dict):
        return ["Event object format is unrecognized: the body must be a JSON object"]
    errors = []
    action = payload.get("event_action")
    action = action.lower() if isinstance(action, str) else action
    if _blank(action):
        errors.append("'event_action' is missing or blank")
    elif not isinstance(action, str) or action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
    dedup_key = payload.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
    elif dedup_key is not None and len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' is too long (maximum is {MAX_DEDUP_KEY} characters)")
    elif action in ("acknowledge", "resolve") and _blank(dedup_key):
        errors.append("'dedup_key' is missing or blank")
    if action == "trigger":
        errors.extend(_trigger_errors(payload))
    return errors


def normalise(payload: Any, *, integration: str) -> list[InboundEvent]:
    """Make the event a PagerDuty event asks for, or raise `InvalidEvent` listing everything wrong with it."""
    errors = validation_errors(payload)
    if errors:
        raise InvalidEvent(errors)
    action = ACTIONS[payload["event_action"].lower()]
    dedup_key = (payload.get("dedup_key") or "").strip() or None
    if action is not Action.TRIGGER:
        verb = "Acknowledge" if action is Action.ACKNOWLEDGE else "Resolve"
        title = f"{verb} {dedup_key}"
        return [InboundEvent(source=SOURCE, integration=integration, title=title, action=action, dedup_key=dedup_key)]
    details = payload["payload"]
    return [
        InboundEvent(
            source=SOURCE,
            integration=integration,
            title=details["summary"].strip()[:MAX_TITLE],
            description=_description(payload, details),
            severity=SEVERITY[details["severity"].lower()],
            action=action,
            dedup_key=dedup_key,
            labels=MappingProxyType({name: details[name] for name in _LABEL_FIELDS if details.get(name)}),
        )
    ]


def change_errors(payload: Any) -> list[str]:
    """Every problem with a change event, in PagerDuty's words; empty when it is valid."""
    if not isinstance(payload, dict):
        return ["Event object format is unrecognized: the body must be a JSON object"]
    details = payload.get("payload")
    if not isinstance(details, dict):
        return ["'payload' is missing or blank" if details is None else "'payload' must be an object"]
    errors = []
    if _blank(details.get("summary")):
        errors.append("'payload.summary' is missing or blank")
    errors.extend(f"'payload.{name}' must be a string" for name in ("summary", "timestamp", "source")
                  if not _is_text(details.get(name)))  # fmt: skip
    custom = details.get("custom_details")
    if custom is not None and not isinstance(custom, dict):
        errors.append("'payload.custom_details' must be an object")
    elif _blank(_custom_text(custom, "service")) and _blank(details.get("source")):
        errors.append("'payload.custom_details.service' (or 'payload.source') must name the service that changed")
    errors.extend(_context_errors(payload, "links", "href", ("text",)))
    return errors


def normalise_change(payload: Any) -> Deploy:
    """The deploy a change event reports, or raise `InvalidEvent` listing everything wrong with it."""
    errors = change_errors(payload)
    if errors:
        raise InvalidEvent(errors)
    details, custom = payload["payload"], payload["payload"].get("custom_details")
    links = payload.get("links") or []
    return Deploy(
        service=(_custom_text(custom, "service") or details["source"]).strip(),
        status="success",  # a change event reports a change that happened
        version=_custom_text(custom, "version"),
        environment=_custom_text(custom, "environment"),
        finished_at=_time(details.get("timestamp")),
        link=links[0]["href"] if links else None,
        deployed_by=_custom_text(custom, "author"),
        title=details["summary"].strip()[:MAX_TITLE],
    )


def _custom_text(custom: Any, name: str) -> str | None:
    value = custom.get(name) if isinstance(custom, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def _time(text: str | None) -> datetime | None:
    """PagerDuty's timestamps (`2020-07-17T08:42:58.315+0000`); one that does not parse is left out, as the
    change still happened."""
    try:
        value = datetime.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _trigger_errors(event: dict[str, Any]) -> list[str]:
    details = event.get("payload")
    if details is None:
        return ["'payload' is missing or blank"]
    if not isinstance(details, dict):
        return ["'payload' must be an object"]
    errors = []
    for name in ("summary", "source", "severity"):
        if _blank(details.get(name)):
            errors.append(f"'payload.{name}' is missing or blank")
        elif not isinstance(details[name], str):
            errors.append(f"'payload.{name}' must be a string")
    severity = details.get("severity")
    if isinstance(severity, str) and severity.strip() and severity.lower() not in SEVERITY:
        errors.append(
            "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"
        )
    errors.extend(f"'payload.{name}' must be a string" for name in _OPTIONAL_TEXT if not _is_text(details.get(name)))
    errors.extend(f"'{name}' must be a string" for name in ("client", "client_url") if not _is_text(event.get(name)))
    errors.extend(_context_errors(event, "links", "href", ("text",)))
    errors.extend(_context_errors(event, "images", "src", ("href", "alt")))
    return errors


def _context_errors(event: dict[str, Any], key: str, required: str, optional: tuple[str, ...]) -> list[str]:
    """Problems with `links` or `images`: a list of objects, each with its URL and optional text fields."""
    items = event.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        return [f"'{key}' must be a list"]
    errors = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(f"'{key}[{i}]' must be an object")
            continue
        if _blank(item.get(required)):
            errors.append(f"'{key}[{i}].{required}' is missing or blank")
        elif not isinstance(item[required], str):
            errors.append(f"'{key}[{i}].{required}' must be a string")
        errors.extend(f"'{key}[{i}].{name}' must be a string" for name in optional if not _is_text(item.get(name)))
    return errors


def _description(event: dict[str, Any], details: dict[str, Any]) -> str:
    summary = details["summary"].strip()
    # The title holds MAX_TITLE characters, PagerDuty's summary up to 1024: keep the whole of a long one.
    whole_summary = summary if len(summary) > MAX_TITLE else ""
    custom = details.get("custom_details")
    if isinstance(custom, dict):
        body = "\n".join(f"{name}: {_text(value)}" for name, value in custom.items())
    else:
        body = "" if custom is None else _text(custom)
    facts = []
    if details.get("timestamp"):
        facts.append(f"Timestamp: {details['timestamp']}")
    if event.get("client") or event.get("client_url"):
        client = " ".join(part for part in (event.get("client"), event.get("client_url")) if part)
        facts.append(f"Client: {client}")
    for link in event.get("links") or []:
        facts.append(f"Link: {link['text']} {link['href']}" if link.get("text") else f"Link: {link['href']}")
    for image in event.get("images") or []:
        parts = (image.get("alt"), image["src"], f"({image['href']})" if image.get("href") else None)
        facts.append("Image: " + " ".join(part for part in parts if part))
    return "\n\n".join(section for section in (whole_summary, body, "\n".join(facts)) if section)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_text(value: Any) -> bool:
    """Absent or a string: what an optional text field may be."""
    return value is None or isinstance(value, str)
