"""Opsgenie's Alert API: create (`POST /v2/alerts`), close and acknowledge by alias, so Opsgenie senders work.

Create takes Opsgenie's body: `message` (required, at most 130 characters), `alias` (the dedup key, at most 512),
`description`, `priority` (P1..P5, default P3), `tags` (a list), `details` (an object of strings), `entity`,
`source`, `user`, `note`; `responders`, `visibleTo` and `actions` are accepted and ignored (routing is Switchboard's
rules' job). Close and acknowledge are `POST /v2/alerts/{identifier}/close|acknowledge?identifierType=alias` with
an optional body of `user`, `source` and `note`. Only aliases are supported: Opsgenie's own alert ids and tiny ids
exist only in Opsgenie.

Mapping:
- action: create -> TRIGGER, acknowledge -> ACKNOWLEDGE, close -> RESOLVE.
- severity: priority P1/P2/P3/P4/P5 -> critical/high/warning/info/info (absent: P3).
- dedup_key: `alias`; a create without one gets None, so it opens an incident of its own, as in Opsgenie (which
  then uses the new alert's id as its alias: an alias-less create never deduplicates).
- title: `message` (close/acknowledge: "Resolve <alias>" / "Acknowledge <alias>").
- description: `description`, then details as "name: value" lines, then tags, entity, source, user and note.
- labels: the details, then `entity`, `source` and `tags` (comma-separated, in the order sent).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from hub.domain import Action, InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks.fields import optional_str
from ingest.webhooks.generic import MAX_LABELS

SOURCE = "opsgenie"
# Opsgenie's documented limits.
MAX_MESSAGE = 130
MAX_ALIAS = 512
MAX_DESCRIPTION = 15000

PRIORITY = {"P1": "critical", "P2": "high", "P3": "warning", "P4": "info", "P5": "info"}
DEFAULT_PRIORITY = "P3"
_TEXT_FIELDS = ("description", "entity", "source", "user", "note")


def normalise_create(payload: Any, *, integration: str) -> list[InboundEvent]:
    """Make the event for a create-alert request; every error names the field and what it should be."""
    body = _body(payload)
    message = optional_str(body, "message")
    if message is None or not message.strip():
        raise InvalidPayload('message is required: a short summary such as "Disk full on db1"')
    if len(message) > MAX_MESSAGE:
        raise InvalidPayload(f"message must be at most {MAX_MESSAGE} characters, not {len(message)}")
    alias = _alias(optional_str(body, "alias"), "alias", required=False)
    text = {name: optional_str(body, name) for name in _TEXT_FIELDS}
    if len(text["description"] or "") > MAX_DESCRIPTION:
        raise InvalidPayload(f"description must be at most {MAX_DESCRIPTION} characters")
    priority = (optional_str(body, "priority") or DEFAULT_PRIORITY).strip().upper() or DEFAULT_PRIORITY
    if priority not in PRIORITY:
        raise InvalidPayload(f"priority must be one of {', '.join(PRIORITY)}, not {priority!r}")
    tags = _tags(body.get("tags"))
    details = _details(body.get("details"))
    labels = dict(details)
    for name in ("entity", "source"):
        if value := text[name]:
            labels[name] = value
    if tags:
        labels["tags"] = ",".join(tags)
    return [
        InboundEvent(
            source=SOURCE,
            integration=integration,
            title=message.strip(),
            description=_description(text, details, tags),
            severity=PRIORITY[priority],
            action=Action.TRIGGER,
            dedup_key=alias,
            labels=MappingProxyType({name: labels[name] for name in sorted(labels)[:MAX_LABELS]}),
        )
    ]


def normalise_close(
    identifier: str, identifier_type: str | None, payload: Any, *, integration: str
) -> list[InboundEvent]:
    """Make the event for `POST /v2/alerts/{identifier}/close?identifierType=alias`: resolve that alias."""
    return _by_alias(Action.RESOLVE, identifier, identifier_type, payload, integration)


def normalise_acknowledge(
    identifier: str, identifier_type: str | None, payload: Any, *, integration: str
) -> list[InboundEvent]:
    """Make the event for `POST /v2/alerts/{identifier}/acknowledge?identifierType=alias`."""
    return _by_alias(Action.ACKNOWLEDGE, identifier, identifier_type, payload, integration)


normalise = normalise_create


def _by_alias(
    action: Action, identifier: str, identifier_type: str | None, payload: Any, integration: str
) -> list[InboundEvent]:
    kind = (identifier_type or "").strip().lower()
    if kind != "alias":
        # Opsgenie's default identifierType is id, so a request without one means an Opsgenie alert id.
        named = f"identifierType={identifier_type}" if identifier_type else "no identifierType (Opsgenie's default: id)"
        raise InvalidPayload(
            f"{named} is not supported: Switchboard knows Opsgenie alerts only by alias; send ?identifierType=alias"
        )
    alias = _alias(identifier, "identifier", required=True)
    body = _body({} if payload is None else payload)
    text = {name: optional_str(body, name) for name in ("source", "user", "note")}
    verb = "Resolve" if action is Action.RESOLVE else "Acknowledge"
    return [
        InboundEvent(
            source=SOURCE,
            integration=integration,
            title=f"{verb} {alias}",
            description="\n".join(f"{name.capitalize()}: {value}" for name, value in text.items() if value),
            action=action,
            dedup_key=alias,
        )
    ]


def _alias(value: str | None, field: str, *, required: bool) -> str | None:
    alias = (value or "").strip()
    if not alias:
        if required:
            raise InvalidPayload(f"{field} is required: the alias of the alert")
        return None
    if len(alias) > MAX_ALIAS:
        raise InvalidPayload(f"{field} must be at most {MAX_ALIAS} characters, not {len(alias)}")
    return alias


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidPayload('tags must be a list of strings, like ["db", "disk"]')
    for i, tag in enumerate(value):
        if not isinstance(tag, str):
            raise InvalidPayload(f"tags[{i}] must be a string")
    return [tag.strip() for tag in value if tag.strip()]


def _details(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidPayload('details must be an object of name/value strings, like {"team": "db"}')
    details = {}
    for name, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise InvalidPayload(f"details.{name} must be a string")
        details[str(name)] = str(item)
    return details


def _description(text: dict[str, str | None], details: dict[str, str], tags: list[str]) -> str:
    facts = [f"{name}: {value}" for name, value in details.items()]
    if tags:
        facts.append(f"Tags: {', '.join(tags)}")
    facts.extend(f"{name.capitalize()}: {text[name]}" for name in ("entity", "source", "user", "note") if text[name])
    return "\n\n".join(section for section in ((text["description"] or "").strip(), "\n".join(facts)) if section)


def _body(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidPayload('body must be a JSON object, like {"message": "Disk full on db1"}')
    return payload
