"""Prometheus Alertmanager's webhook (`webhook_configs`, payload version "4"): one event per alert in the group.

Alertmanager posts a notification *group*: top-level `receiver`, `status`, `groupLabels`, `commonLabels`,
`commonAnnotations`, `externalURL`, `version`, `groupKey`, `truncatedAlerts`, and `alerts[]`, each with `status`
("firing" or "resolved"), `labels`, `annotations`, `startsAt`, `endsAt`, `generatorURL` and `fingerprint`.
Only `alerts[]` is needed; the group-level fields are accepted and, except `externalURL`, ignored.

How each alert becomes an event:
- action: the alert's own `status`, firing -> TRIGGER, resolved -> RESOLVE. The group's `status` is not used: it
  says "firing" while any alert in the group fires, so one POST can carry both.
- severity: the `severity` label, mapped by SEVERITY_WORDS (critical/crit/fatal/emergency/disaster/page/p1 ->
  critical; high/error/err/major/p2 -> high; warning/warn/average/minor/medium/p3 -> warning;
  info/informational/information/notice/low/none/ok/p4/p5 -> info); absent or anything else -> unknown.
- dedup_key: the alert's `fingerprint`; without one, `label_fingerprint(labels)`, which is the very value
  Alertmanager itself sends, so keys agree whether or not a sender includes the field.
- title: `annotations.summary`, else `labels.alertname`.
- description: `annotations.description`, the other annotations as "name: value" lines, start/end times, and the
  links (generatorURL, the Alertmanager's externalURL).
- labels: the alert's labels (at most MAX_LABELS, by name).

Grafana's webhook is this payload extended, so `ingest.webhooks.grafana` reuses `events_from_alerts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from hub.domain import Action, InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks.fields import optional_str
from ingest.webhooks.generic import MAX_LABELS, MAX_TITLE

SOURCE = "alertmanager"

SEVERITY_WORDS = {
    **dict.fromkeys(("critical", "crit", "fatal", "emergency", "disaster", "page", "p1"), "critical"),
    **dict.fromkeys(("high", "error", "err", "major", "p2"), "high"),
    **dict.fromkeys(("warning", "warn", "average", "minor", "medium", "p3"), "warning"),
    **dict.fromkeys(("info", "informational", "information", "notice", "low", "none", "ok", "p4", "p5"), "info"),
}
_STATUS = {"firing": Action.TRIGGER, "resolved": Action.RESOLVE}
_SHOWN_ANNOTATIONS = ("summary", "description")  # the title and the body; the others become "name: value" lines
# Alertmanager's "not set" time: a firing alert's endsAt.
_ZERO_TIME = "0001-01-01T00:00:00Z"

# FNV-1a, 64 bit: the hash behind Prometheus label fingerprints (prometheus/common model/signature.go).
_FNV64_OFFSET = 14695981039346656037
_FNV64_PRIME = 1099511628211
_LABEL_SEPARATOR = b"\xff"  # a byte that cannot occur in UTF-8, so "a=bc" and "ab=c" hash apart

ExtraLines = Callable[[dict[str, Any], str], list[str]]


def normalise(payload: Any, *, integration: str) -> list[InboundEvent]:
    """Make one event per alert in an Alertmanager notification; errors name the failing field's path."""
    group = _object(payload, "body")
    external_url = optional_str(group, "externalURL", "")

    def links(alert: dict[str, Any], path: str) -> list[str]:
        lines = []
        if generator_url := optional_str(alert, "generatorURL", path):
            lines.append(f"Source: {generator_url}")
        if external_url:
            lines.append(f"Alertmanager: {external_url}")
        return lines

    return events_from_alerts(group, source=SOURCE, integration=integration, extra_lines=links)


def events_from_alerts(
    group: dict[str, Any], *, source: str, integration: str, extra_lines: ExtraLines
) -> list[InboundEvent]:
    """Turn `alerts[]` of an Alertmanager-shaped group into events; `extra_lines` gives a sender's own links."""
    alerts = group.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise InvalidPayload("alerts must be a non-empty list of alerts")
    return [
        _event(_object(alert, f"alerts[{i}]"), f"alerts[{i}]", source, integration, extra_lines)
        for i, alert in enumerate(alerts)
    ]


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """The 16-hex-digit fingerprint Alertmanager gives an alert with these labels (order does not matter)."""
    digest = _FNV64_OFFSET
    for name in sorted(labels):
        for byte in name.encode() + _LABEL_SEPARATOR + labels[name].encode() + _LABEL_SEPARATOR:
            digest = ((digest ^ byte) * _FNV64_PRIME) & 0xFFFF_FFFF_FFFF_FFFF
    return f"{digest:016x}"


def map_severity(word: str | None) -> str:
    """A `severity` label's value as one of the hub's severities (unknown when absent or unrecognised)."""
    return SEVERITY_WORDS.get((word or "").strip().lower(), "unknown")


def _event(alert: dict[str, Any], path: str, source: str, integration: str, extra: ExtraLines) -> InboundEvent:
    status = optional_str(alert, "status", path)
    if status is None or status.lower() not in _STATUS:
        raise InvalidPayload(f"{path}.status must be 'firing' or 'resolved', not {status!r}")
    labels = _string_map(alert.get("labels"), f"{path}.labels")
    annotations = _string_map(alert.get("annotations"), f"{path}.annotations")
    fingerprint = optional_str(alert, "fingerprint", path)
    dedup_key = fingerprint.strip() if fingerprint and fingerprint.strip() else label_fingerprint(labels)
    title = (annotations.get("summary") or "").strip() or (labels.get("alertname") or "").strip()
    return InboundEvent(
        source=source,
        integration=integration,
        title=(title or f"Alert {dedup_key}")[:MAX_TITLE],
        description=_description(alert, path, annotations, extra(alert, path)),
        severity=map_severity(labels.get("severity")),
        action=_STATUS[status.lower()],
        dedup_key=dedup_key,
        labels=_capped_labels(labels),
    )


def _description(alert: dict[str, Any], path: str, annotations: dict[str, str], extra: list[str]) -> str:
    body = annotations.get("description", "").strip()
    notes = [f"{name}: {value}" for name, value in sorted(annotations.items()) if name not in _SHOWN_ANNOTATIONS]
    times = []
    if starts_at := optional_str(alert, "startsAt", path):
        times.append(f"Started: {starts_at}")
    if (ends_at := optional_str(alert, "endsAt", path)) and ends_at != _ZERO_TIME:
        times.append(f"Ended: {ends_at}")
    sections = [body, "\n".join(notes), "\n".join(times), "\n".join(extra)]
    return "\n\n".join(section for section in sections if section)


def _capped_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    """Read-only labels, the first MAX_LABELS by name: the rest are still in the stored raw payload."""
    return MappingProxyType({name: labels[name] for name in sorted(labels)[:MAX_LABELS]})


def _string_map(value: Any, path: str) -> dict[str, str]:
    """A name -> text map such as labels or annotations; absent is empty, numbers are taken as their text."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidPayload(f"{path} must be an object")
    result = {}
    for name, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise InvalidPayload(f"{path}.{name} must be a string")
        result[str(name)] = str(item)
    return result


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidPayload(f"{path} must be a JSON object")
    return value
