"""The generic webhook channel: the channel's URL, method and headers, a body from its template (or a default
JSON document), and a signature the receiver can check.

Every delivery carries `X-Switchboard-Delivery` (the outbox row's id for it: the same on every retry, so a receiver
can drop repeats), `X-Switchboard-Timestamp` (Unix seconds when this attempt was signed) and
`X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the channel's secret>`.
Signing the timestamp with the body lets a receiver refuse replays of an old request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from hub.channels import ChannelSpec, render_body
from hub.errors import BadInput
from hub.webhook_targets import Reach
from outbound.channels import http
from outbound.errors import PermanentDeliveryError
from outbound.notification import Notification

INCIDENT_FIELDS = ("reference", "incident_id", "title", "priority", "severity", "status", "assignee", "category", "url")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` over `timestamp.body`, as receivers recompute it."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def default_body(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document sent when a channel has no template of its own."""
    return {
        "delivery_id": facts.get("delivery_id"),
        "event": facts.get("kind"),
        "summary": facts.get("summary"),
        "incident": {name: facts.get(name) for name in INCIDENT_FIELDS},
    }


def build(notification: Notification, channel: ChannelSpec, *, timestamp: int) -> http.Request:
    """The request for one attempt (pure): body, configured headers, then ours."""
    facts = {**(notification.payload or {}), "delivery_id": notification.delivery_id}
    content_type = channel.content_type
    if channel.body_template:
        try:
            text = render_body(channel.body_template, facts)
        except BadInput as exc:
            raise PermanentDeliveryError(f"channel {channel.name!r}: {exc}") from None
        if "json" in content_type.lower():
            try:
                json.loads(text)
            except ValueError as exc:
                raise PermanentDeliveryError(
                    f"channel {channel.name!r}: the body template gave no JSON: {exc}"
                ) from None
        body = text.encode()
    else:
        body = json.dumps(default_body(facts), separators=(",", ":")).encode()
    headers = {k: v for k, v in channel.headers.items() if k.lower() != "content-type"}
    headers["Content-Type"] = content_type
    headers["X-Switchboard-Delivery"] = notification.delivery_id
    headers["X-Switchboard-Timestamp"] = str(timestamp)
    if channel.signing_secret:
        headers["X-Switchboard-Signature"] = signature(channel.signing_secret, timestamp, body)
    return http.Request(channel.method, channel.url or "", headers, body)


def send(notification: Notification, channel: ChannelSpec, reach: Reach = "network") -> None:
    http.send(build(notification, channel, timestamp=int(time.time())), reach=reach)
