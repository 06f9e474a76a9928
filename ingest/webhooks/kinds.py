"""Which normaliser serves which integration kind (`switchboard integration create --kind ...`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.domain import InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks import alertmanager, generic, grafana, nagios, opsgenie, pagerduty, zabbix

Normaliser = Callable[..., list[InboundEvent]]


def _generic(payload: Any, *, integration: str) -> list[InboundEvent]:
    return [generic.normalise(payload, integration=integration)]


NORMALISERS: dict[str, Normaliser] = {
    "generic": _generic,
    "alertmanager": alertmanager.normalise,
    "grafana": grafana.normalise,
    "pagerduty": pagerduty.normalise,
    "opsgenie": opsgenie.normalise_create,
    "zabbix": zabbix.normalise,
    "nagios": nagios.normalise,
}


def normalise(kind: str, payload: Any, *, integration: str) -> list[InboundEvent]:
    """The events in one request from an integration of `kind` (several for batching tools)."""
    normaliser = NORMALISERS.get(kind)
    if normaliser is None:
        raise InvalidPayload(f"integrations of kind {kind!r} cannot post here")
    return normaliser(payload, integration=integration)
