"""Which normaliser serves which integration kind (`switchboard integration create --kind ...`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.deploys import Deploy
from hub.domain import InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks import alertmanager, deploy, generic, grafana, mapping, nagios, opsgenie, pagerduty, shapes, zabbix

Normaliser = Callable[..., list[InboundEvent]]


def _generic(payload: Any, *, integration: str) -> list[InboundEvent]:
    return [generic.normalise(payload, integration=integration)]


def _mapped(spec: dict[str, Any]) -> Normaliser:
    def normalise(payload: Any, *, integration: str) -> list[InboundEvent]:
        return [generic.normalise(mapping.apply(spec, payload), integration=integration)]

    return normalise


NORMALISERS: dict[str, Normaliser] = {
    "generic": _generic,
    "alertmanager": alertmanager.normalise,
    "grafana": grafana.normalise,
    "pagerduty": pagerduty.normalise,
    "opsgenie": opsgenie.normalise_create,
    "zabbix": zabbix.normalise,
    "nagios": nagios.normalise,
}


def normalise(
    kind: str, payload: Any, *, integration: str, mapping_spec: dict[str, Any] | None = None
) -> list[InboundEvent]:
    """The events in one request from an integration of `kind` (several for batching tools); a generic
    integration with a mapping (ingest/webhooks/mapping.py) first maps the body into the generic shape."""
    normaliser = _mapped(mapping_spec) if kind == "generic" and mapping_spec else NORMALISERS.get(kind)
    if kind in CHANGE_KINDS:
        raise InvalidPayload(f"integrations of kind {kind!r} report deploys, not alerts: use `normalise_deploy`")
    if normaliser is None:
        raise InvalidPayload(f"integrations of kind {kind!r} cannot post here")
    try:
        return normaliser(payload, integration=integration)
    except InvalidPayload as exc:
        # Subclasses carry more than their message (PagerDuty's list of errors): those go on as they are.
        if type(exc) is InvalidPayload and (fix := shapes.hint(payload, kind=kind, integration=integration)):
            raise InvalidPayload(f"{exc}; {fix}") from None
        raise


#: Kinds whose requests record changes (deploys) instead of opening incidents (hub/deploys.py).
CHANGE_KINDS = frozenset({"deploy"})


def normalise_deploy(payload: Any, *, integration: str) -> Deploy | None:
    """The deploy one request from a `deploy` integration reports (None: nothing to record)."""
    return deploy.normalise(payload, integration=integration)
