"""Nagios and Icinga notifications, in Switchboard's own JSON shape (they have no standard webhook body).

docs/integrations.md has the notification commands that post this from the notification macros:

    {
      "notification_type": "PROBLEM",   $NOTIFICATIONTYPE$ (Icinga 2: $notification.type$) (required)
      "host": "web01",                  $HOSTNAME$ (required)
      "service": "HTTP",                $SERVICEDESC$; absent or "" for a host notification
      "state": "CRITICAL",              $SERVICESTATE$ or $HOSTSTATE$ (required)
      "problem_id": "4711",             $SERVICEPROBLEMID$ or $HOSTPROBLEMID$ (optional)
      "output": "HTTP CRITICAL - ...",  $SERVICEOUTPUT$ or $HOSTOUTPUT$ (optional)
      "address": "10.0.0.5",            $HOSTADDRESS$ (optional)
      "author": "jdoe", "comment": "on it"   who acknowledged, and why (optional)
    }

Mapping:
- action: ACKNOWLEDGEMENT -> ACKNOWLEDGE; RECOVERY -> RESOLVE; PROBLEM, CUSTOM and the flapping notices follow
  the state (OK/UP -> RESOLVE, anything else -> TRIGGER); the downtime notices (DOWNTIMESTART, DOWNTIMEEND,
  DOWNTIMECANCELLED, DOWNTIMEREMOVED) ask nothing of an incident, so they make no event at all.
- severity: CRITICAL/DOWN -> critical, WARNING -> warning, UNKNOWN/UNREACHABLE -> unknown, OK/UP -> info.
- dedup_key: "nagios:<host>/<service>", or "nagios:<host>/HOST" for the host itself. Problem ids are not used:
  Nagios gives the recovery a problem id of 0, so only host and service lead a recovery to its problem.
- title: "<service> on <host> is <state>", or "Host <host> is <state>".
- description: the plugin output, then state, problem id, address, and who acknowledged with their comment.
- labels: host, service (for service notifications), state, and address when given.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from hub.domain import Action, InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks.generic import MAX_TITLE

SOURCE = "nagios"

SEVERITY = {
    "CRITICAL": "critical",
    "DOWN": "critical",
    "WARNING": "warning",
    "UNKNOWN": "unknown",
    "UNREACHABLE": "unknown",  # the host's state cannot be known: a parent on the way to it is down
    "OK": "info",
    "UP": "info",
}
_RECOVERED = ("OK", "UP")
# Nagios's notification types, and Icinga 2's FLAPPINGEND and DOWNTIMEREMOVED for Nagios's FLAPPINGSTOP and
# DOWNTIMECANCELLED. These follow the state; the downtime notices make no event.
BY_STATE = ("PROBLEM", "CUSTOM", "FLAPPINGSTART", "FLAPPINGSTOP", "FLAPPINGEND", "FLAPPINGDISABLED")
NO_EVENT = ("DOWNTIMESTART", "DOWNTIMEEND", "DOWNTIMECANCELLED", "DOWNTIMEREMOVED")
NOTIFICATION_TYPES = ("ACKNOWLEDGEMENT", "RECOVERY", *BY_STATE, *NO_EVENT)


def normalise(payload: Any, *, integration: str) -> list[InboundEvent]:
    """The event for one notification (none for a downtime notice); errors name the field and what it should be."""
    if not isinstance(payload, dict):
        raise InvalidPayload('body must be a JSON object, like {"notification_type": "PROBLEM", "host": "web01", ...}')
    kind = _required(payload, "notification_type").upper()
    if kind not in NOTIFICATION_TYPES:
        raise InvalidPayload(f"notification_type must be one of {', '.join(NOTIFICATION_TYPES)}, not {kind!r}")
    host = _required(payload, "host")
    service = _text(payload, "service")
    state = _required(payload, "state").upper()
    if state not in SEVERITY:
        raise InvalidPayload(f"state must be one of {', '.join(SEVERITY)}, not {state!r}")
    if kind in NO_EVENT:
        return []
    if kind == "ACKNOWLEDGEMENT":
        action = Action.ACKNOWLEDGE
    elif kind == "RECOVERY" or state in _RECOVERED:
        action = Action.RESOLVE
    else:
        action = Action.TRIGGER
    labels = {"host": host, "state": state}
    if service:
        labels["service"] = service
    if address := _text(payload, "address"):
        labels["address"] = address
    title = f"{service} on {host} is {state}" if service else f"Host {host} is {state}"
    who = "Acknowledged" if action is Action.ACKNOWLEDGE else "Comment"
    return [
        InboundEvent(
            source=SOURCE,
            integration=integration,
            title=title[:MAX_TITLE],
            description=_description(payload, state, address, by=who),
            severity=SEVERITY[state],
            action=action,
            dedup_key=f"nagios:{host}/{service or 'HOST'}",
            labels=MappingProxyType(labels),
        )
    ]


def _description(payload: dict[str, Any], state: str, address: str | None, *, by: str) -> str:
    output = _text(payload, "output") or ""
    facts = [f"State: {state}"]
    if (problem_id := _text(payload, "problem_id")) and problem_id != "0":
        facts.append(f"Problem ID: {problem_id}")
    if address:
        facts.append(f"Address: {address}")
    author, comment = _text(payload, "author"), _text(payload, "comment")
    if author or comment:
        facts.append(f"{by} by {author or 'someone'}" + (f": {comment}" if comment else ""))
    return "\n\n".join(section for section in (output, "\n".join(facts)) if section)


def _required(payload: dict[str, Any], key: str) -> str:
    value = _text(payload, key)
    if not value:
        raise InvalidPayload(f"{key} is required")
    return value


def _text(payload: dict[str, Any], key: str) -> str | None:
    """A text field, stripped; None when absent or empty. Numbers are taken as text (problem ids often are)."""
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidPayload(f"{key} must be a string")
    return str(value).strip() or None
