"""An incident logged by hand: what an agent at the service desk types in while someone is on the phone or at the
desk (the new-incident form, or `POST /api/v1/incidents`), made into an event like any other (pure, no I/O).

It goes through the same intake as an alert or an email: stored as received, routed by the rules, and owed the
same notices. What the agent chose (priority, category, kind, assignee, service, CI) wins over the rules
(hub.domain.Chosen).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from hub.addresses import ADDRESS_WIDTH, is_address
from hub.cis import MAX_NAME as CI_WIDTH
from hub.domain import INCIDENT_KINDS, Chosen, InboundEvent
from hub.names import NAME_WIDTH, is_one_line
from ingest.contact_channels import CHANNELS
from ingest.errors import InvalidPayload
from ingest.webhooks.generic import MAX_TITLE

SOURCE = "desk"
#: CHANNELS: how the person reached the desk, kept as the label `channel` for rules and reports.
FIELDS = ("title", "description", "requester", "channel", "service", "ci", "priority", "category", "kind",
          "assignee", "acknowledge_requester")  # fmt: skip
MAX_DESCRIPTION = 50_000


class InvalidField(InvalidPayload):
    """One field is wrong: `field` names it, so a form can show the message beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def normalise(fields: Mapping[str, Any], *, by: str) -> InboundEvent:
    """The event for an incident `by` (an agent's email or a token's name) logs; InvalidField names what is wrong.

    `fields` is a JSON object or a form's values: strings, or for the API also a number (`priority`) and a
    boolean (`acknowledge_requester`). Empty strings and nulls mean "not given".
    """
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise InvalidField(unknown[0], f"unknown field(s) {', '.join(map(repr, unknown))}; use {', '.join(FIELDS)}")
    title = _text(fields, "title", MAX_TITLE)
    if title is None:
        raise InvalidField("title", "'title' is required: a short summary such as \"Cannot print on floor 3\"")
    requester = _text(fields, "requester", ADDRESS_WIDTH)
    if requester is not None:
        requester = requester.lower()
        if not is_address(requester):
            raise InvalidField("requester", f"'requester' must be the reporter's email address, not {requester!r}")
    channel = (_text(fields, "channel", 20) or CHANNELS[0]).lower()
    if channel not in CHANNELS:
        raise InvalidField("channel", f"'channel' must be one of {', '.join(CHANNELS)}, not {channel!r}")
    labels = {"channel": channel}
    service = _text(fields, "service", NAME_WIDTH)
    if service is not None:
        labels["service"] = service  # what the rules' `service` condition reads, as for an alert
    assignee = _text(fields, "assignee", ADDRESS_WIDTH)
    chosen = Chosen(
        by=by,
        priority=_priority(fields.get("priority")),
        category=_text(fields, "category", NAME_WIDTH),
        kind=_kind(_text(fields, "kind", NAME_WIDTH)),
        assignee=assignee.lower() if assignee and "@" in assignee else assignee,
        acknowledge_requester=_flag(fields, "acknowledge_requester", default=True),
        service=service,
        ci=_text(fields, "ci", CI_WIDTH),  # whether it is an active CI is the intake's to check, in its transaction
    )
    return InboundEvent(
        source=SOURCE,
        title=title,
        description=_text(fields, "description", MAX_DESCRIPTION, strip=False) or "",
        requester=requester,
        labels=MappingProxyType(labels),
        chosen=chosen,
    )


def _text(fields: Mapping[str, Any], name: str, width: int, *, strip: bool = True) -> str | None:
    """The field as text, None when absent or blank; refused (not cut) when longer than its column holds. A
    one-line field (stripped) is refused with a control character in it; the description keeps its lines."""
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(name, f"'{name}' must be a string")
    if not value.strip():
        return None
    value = value.strip() if strip else value
    if len(value) > width:
        raise InvalidField(name, f"'{name}' is {len(value)} characters long; at most {width} fit")
    if strip and not is_one_line(value):
        raise InvalidField(name, f"'{name}' must be one line of text, without control characters")
    return value


def _kind(value: str | None) -> str | None:
    """One of INCIDENT_KINDS; left out, the rules' (an incident, unless one says otherwise)."""
    if value is None or value.lower() in INCIDENT_KINDS:
        return value.lower() if value is not None else None
    raise InvalidField("kind", f"'kind' must be {' or '.join(INCIDENT_KINDS)}, or left out; not {value!r}")


def _priority(value: Any) -> int | None:
    """1 (highest) to 5 as a number or its text ("2", "P2"); blank or null leaves it to the rules."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip().upper().removeprefix("P")
        value = int(text) if text.isdigit() and len(text) == 1 else value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    raise InvalidField("priority", f"'priority' must be 1 (highest) to 5, or left out for the rules; not {value!r}")


def _flag(fields: Mapping[str, Any], name: str, *, default: bool) -> bool:
    """A JSON boolean, or a form checkbox's value ("on", "true", "1"; "false", "0", "off" for a hidden default)."""
    value = fields.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("on", "true", "1", "yes", "y"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("off", "false", "0", "no", "n", ""):
        return False
    raise InvalidField(name, f"'{name}' must be true or false")
