"""Grafana unified alerting's webhook contact point: one event per alert, plus its optional HMAC signature.

Grafana's payload is Alertmanager's webhook extended (Grafana runs an embedded Alertmanager): the same `alerts[]`
with `status`, `labels`, `annotations`, `startsAt`, `endsAt`, `generatorURL` and `fingerprint`, and per alert also
`values`, `valueString`, `silenceURL`, `dashboardURL`, `panelURL` and `imageURL`; top-level `orgId`, `title`,
`state` ("alerting" or "ok") and `message` are accepted and ignored (Grafana marks them for removal, and each
alert's own status is what counts in a mixed batch).

Mapping, as for Alertmanager (see `ingest.webhooks.alertmanager`): action from each alert's status (firing ->
TRIGGER, resolved -> RESOLVE); severity from the `severity` label (critical/high/warning/info words and their
synonyms, else unknown); dedup_key = `fingerprint`, else the Prometheus label fingerprint; title =
`annotations.summary`, else `labels.alertname`; labels = the alert's labels. The description adds the values that
fired and Grafana's links (rule, dashboard, panel, silence, image). A legacy (pre-unified) Grafana alert is
refused with a message that says so.

`signature_problem` checks Grafana's optional HMAC-SHA256 signature and says what is wrong with it; the endpoint
passes the header values and the clock, so it stays pure.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from hub.domain import InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks.alertmanager import events_from_alerts
from ingest.webhooks.fields import optional_str

SOURCE = "grafana"
# Grafana's docs name X-Grafana-Alerting-Signature, its code defaults to X-Grafana-Alert-Signature: the endpoint
# should read whichever is present.
SIGNATURE_HEADERS = ("X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature")
_LINKS = (
    ("generatorURL", "Rule"),
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("silenceURL", "Silence"),
    ("imageURL", "Image"),
)


def normalise(payload: Any, *, integration: str) -> list[InboundEvent]:
    """Make one event per alert in a Grafana notification; errors name the failing field's path."""
    if not isinstance(payload, dict):
        raise InvalidPayload("body must be a JSON object")
    if "alerts" not in payload and ("ruleId" in payload or "evalMatches" in payload):
        raise InvalidPayload(
            "alerts is required: this looks like a legacy Grafana alert (ruleId/evalMatches); "
            "send it from a unified alerting webhook contact point instead"
        )
    return events_from_alerts(payload, source=SOURCE, integration=integration, extra_lines=_grafana_lines)


def verify_signature(
    body: bytes, secret: str, signature: str, timestamp: str | None, now: float, max_age: float = 300
) -> bool:
    """Whether `signature` is Grafana's hex HMAC-SHA256 of this body under `secret`, and recent enough."""
    return signature_problem(body, secret, signature, timestamp, now, max_age) is None


def signature_problem(
    body: bytes, secret: str, signature: str, timestamp: str | None, now: float, max_age: float = 300
) -> str | None:
    """Why `signature` is not Grafana's hex HMAC-SHA256 of this body under `secret`, recent enough (None: it is),
    in words that tell whoever set up the contact point what to change.

    Grafana signs "<timestamp>:<body>" when its contact point names a timestamp header, else the body alone.
    A timestamp (Unix seconds) more than `max_age` seconds from `now`, in either direction, is refused so that
    a captured request cannot be replayed later. Only a timestamped signature has that protection.
    """
    mismatch = (
        "the X-Grafana-Alerting-Signature does not match this body: set the contact point's HMAC secret to the "
        "SHA-256 of the integration secret (printf '%s' \"$SECRET\" | sha256sum), or remove the HMAC signature"
    )
    if not secret or not signature:
        return mismatch
    message = body
    if timestamp is not None:
        try:
            sent_at = int(timestamp)
        except ValueError:
            return f"the X-Grafana-Alerting-Timestamp must be Unix seconds, not {timestamp[:40]!r}"
        if abs(now - sent_at) > max_age:
            return (
                f"the X-Grafana-Alerting-Timestamp is {abs(now - sent_at):.0f} seconds from this server's clock, more "
                f"than the {max_age:.0f} allowed against replays: check that Grafana's and Switchboard's clocks keep "
                "time (NTP)"
            )
        message = timestamp.encode() + b":" + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header is whatever the sender put in it.
    if hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return None
    return mismatch


def _grafana_lines(alert: dict[str, Any], path: str) -> list[str]:
    """What Grafana adds per alert: the values that fired the rule, then its links."""
    lines = []
    values = alert.get("values")
    if values is not None:
        if not isinstance(values, dict):
            raise InvalidPayload(f"{path}.values must be an object")
        if values:
            lines.append("Values: " + ", ".join(f"{name}={_number(value)}" for name, value in values.items()))
    elif value_string := optional_str(alert, "valueString", path):
        lines.append(f"Values: {value_string}")
    lines.extend(f"{label}: {url}" for key, label in _LINKS if (url := optional_str(alert, key, path)))
    return lines


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
