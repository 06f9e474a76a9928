"""What every webhook endpoint shares: the size check, the raw record, and storing a request's events.

The endpoints (events.py for `/api/v1/events/<name>`, pagerduty.py, opsgenie.py) differ in how a sender names
its integration and what it expects back; the path through the intake is the same for all of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask import Request, Response

from hub.accounts import IntegrationRef
from hub.db import Guard
from hub.deploys import record_deploy
from hub.domain import InboundEvent
from hub.intake import Outcome, Raw
from hub.integration_doors import OWN_API_DOORS
from ingest.webhooks.kinds import normalise_deploy
from web.ratelimit import retry_after
from web.responses import bearer_token, body_within, json_error, unauthorized
from web.services import Services

_CONTENT_TYPE_MAX = 100  # the width of events.content_type
#: The answer to events for an integration that does not exist or is disabled (IntegrationKeys finds enabled ones
#: only): the integration page says so beside its Disable button.
NO_INTEGRATION = (
    "no enabled integration named {name!r}: create it with `switchboard integration create`, or enable it on its "
    "page (/integrations/{name})"
)


def refused_while_disabled(kind: str) -> str:
    """How a disabled integration's events are answered, for the page to say beside its Disable button: a sender
    that names it in the URL gets NO_INTEGRATION's 404; PagerDuty's and Opsgenie's, which only send the key, 401."""
    if kind in OWN_API_DOORS:
        return "401 (the key is not accepted)"
    return "404 (no enabled integration by that name)"


def bad_credentials(name: str) -> str:
    """The 401 for a wrong or missing secret: what to send, and where a lost secret is replaced."""
    return (
        f"missing or invalid credentials for integration {name!r}: send 'Authorization: Bearer <its secret>' (or "
        f'?secret=); a lost secret is replaced with "Make a new secret" on /integrations/{name} or '
        f"`switchboard integration rotate {name}`"
    )


#: Kinds whose tools send many alerts in one body, and retry no 4xx: their limit is SWITCHBOARD_MAX_BATCH_BYTES.
BATCH_KINDS = frozenset({"alertmanager", "grafana"})


@dataclass(frozen=True)
class BodyLimit:
    """How large a body a door takes, and the setting that says so (named in the 413, to raise it)."""

    bytes: int
    setting: str


def body_limit(svc: Services, kind: str | None) -> BodyLimit:
    """The limit for a body sent to an integration of `kind` (None: not known yet, or not a batch kind)."""
    settings = svc.settings
    if kind in BATCH_KINDS and settings.max_batch_bytes > settings.max_event_bytes:
        return BodyLimit(settings.max_batch_bytes, "SWITCHBOARD_MAX_BATCH_BYTES")
    return BodyLimit(settings.max_event_bytes, "SWITCHBOARD_MAX_EVENT_BYTES")


def too_large(request: Request, limit: BodyLimit) -> str | None:
    """The 413 message when the declared body is over the limit (a chunked body is caught by `read_body`)."""
    if request.content_length is not None and request.content_length > limit.bytes:
        return over_the_limit(limit)
    return None


def over_the_limit(limit: BodyLimit) -> str:
    """What a sender whose body is too large is told, with what to do about it."""
    return (
        f"the body is larger than the limit of {limit.bytes} bytes: send fewer alerts per request, "
        f"or have the hub's admin raise {limit.setting}"
    )


def read_body(request: Request, limit: BodyLimit) -> bytes | None:
    """The request's body, or None when it is over the limit, a chunked one too (`body_within`)."""
    return body_within(request, limit.bytes)


def admit(request: Request, svc: Services, name: str, integration: IntegrationRef | None) -> IntegrationRef | Response:
    """The integration named in the URL (`integration`: `svc.integrations.find(name)`, which the caller may have
    needed already) when the request carries its secret (`Authorization: Bearer <secret>`, or `?secret=` for tools
    that cannot set headers) and it is within its rate limit; else the answer to send: 404, 401 or 429."""
    if integration is None:
        return json_error(404, NO_INTEGRATION.format(name=name))
    secret = bearer_token(request) or request.args.get("secret")
    if secret is None or svc.integrations.authenticate(name, secret) is None:
        return unauthorized(bad_credentials(name))
    if (limited := over_limit(svc, integration)) is not None:
        return json_error(429, *limited)
    return integration


def over_limit(svc: Services, integration: IntegrationRef) -> tuple[str, dict[str, str]] | None:
    """The 429 message and Retry-After header when the integration is over its requests per minute."""
    wait = retry_after(svc.redis(), integration)
    if wait is None:
        return None
    message = (
        f"integration {integration.name!r} is over its limit of {integration.rate_limit} requests per minute: retry "
        f"after {wait} seconds, or raise the limit (`switchboard integration set {integration.name} --rate-limit N`)"
    )
    return message, {"Retry-After": str(wait)}


def raw_of(request: Request, body: bytes, integration: IntegrationRef) -> Raw:
    content_type = (request.content_type or "application/json")[:_CONTENT_TYPE_MAX]
    return Raw(integration.kind, content_type, body, integration.id, integration.mapping_id)


def store(
    svc: Services, integration: IntegrationRef, raw: Raw, events: Sequence[InboundEvent], payload: Any
) -> list[Outcome]:
    """Record a request's events in one transaction; each event keeps the part of the body it came from."""
    if len(events) == 1:
        return [svc.intake.record(raw, events[0], policy=integration.policy)]
    return svc.intake.record_batch(_items(raw, events, payload), policy=integration.policy)


def store_guarded(
    svc: Services, integration: IntegrationRef, raw: Raw, events: Sequence[InboundEvent], payload: Any, guard: Guard
) -> list[Outcome]:
    """`store` for events a person sends (the integration page's test alert): `guard` checks inside the write that
    they may still (hub/intake.py `record_guarded`)."""
    return svc.intake.record_guarded(_items(raw, events, payload), guard, policy=integration.policy)


def _items(raw: Raw, events: Sequence[InboundEvent], payload: Any) -> list[tuple[Raw, InboundEvent]]:
    """Each event with the part of the body it came from."""
    parts = _parts(payload, len(events))
    return [(replace(raw, body=part) if part else raw, e) for part, e in zip(parts, events, strict=True)]


def _parts(payload: Any, count: int) -> list[bytes | None]:
    """For batch senders (Alertmanager, Grafana) the alert each event was made from, as compact JSON.

    Their normalisers make one event per element of `alerts`, in order; anything else keeps the whole body.
    """
    alerts = payload.get("alerts") if isinstance(payload, dict) else None
    if isinstance(alerts, list) and len(alerts) == count:
        return [json.dumps(alert, separators=(",", ":"), sort_keys=True).encode() for alert in alerts]
    return [None] * count


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "event_id": outcome.event_id,
        "incident": outcome.ref,
        "incident_status": outcome.incident_status,
        "occurrences": outcome.occurrences,
        "created": outcome.created,
    }


def store_deploy(svc: Services, integration: IntegrationRef, raw: Raw, payload: Any) -> dict[str, Any]:
    """Record a deploy integration's report as a change (stored with its raw body in one transaction); the answer.

    Raises InvalidPayload, before anything is stored, when the body is not a deploy report.
    """
    deploy = normalise_deploy(payload, integration=integration.name)
    if deploy is None:
        reason = "the deploy report records nothing (a superseded deployment)"
        event_id = svc.intake.record_ignored(raw, reason)
        return {"status": "accepted", "event_id": event_id, "change": None}
    recorded = record_deploy(svc.db, raw, deploy, integration=integration.name)
    return {
        "status": "accepted",
        "event_id": recorded.event_id,
        "change": recorded.change_ref,
        "change_state": recorded.state,
        "created": recorded.created,
    }
