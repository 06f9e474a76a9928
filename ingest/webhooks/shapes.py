"""Which tool a refused body looks like, so that posting one tool's payload to another kind's integration (an
Alertmanager webhook to a generic integration, say) is answered with the fix, not only with the field it lacks."""

from __future__ import annotations

from typing import Any

#: Each kind's body in words, for the hint.
_NAMES = {
    "alertmanager": "Alertmanager's webhook",
    "grafana": "Grafana's webhook",
    "pagerduty": "a PagerDuty Events API v2 event",
    "zabbix": "the Zabbix media type's body",
    "nagios": "the Nagios notification command's body",
    "generic": "the generic JSON shape",
}


def looks_like(payload: Any) -> str | None:
    """The integration kind whose body this is by its telltale fields, or None when it is no tool's we know."""
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("alerts"), list):
        return "grafana" if "orgId" in payload else "alertmanager" if "groupKey" in payload else None
    if "ruleId" in payload or "evalMatches" in payload:  # legacy Grafana, which has a title too
        return "grafana"
    if "event_action" in payload and "routing_key" in payload:
        return "pagerduty"
    if "event_id" in payload and "status" in payload and "name" in payload:
        return "zabbix"
    if "notification_type" in payload and "host" in payload:
        return "nagios"
    if isinstance(payload.get("title"), str):
        return "generic"
    return None


def hint(payload: Any, *, kind: str, integration: str) -> str:
    """What to do when a body refused by a `kind` integration is another tool's (empty when it is not)."""
    seen = looks_like(payload)
    if seen is None or seen == kind:
        return ""
    fix = (
        f"this body looks like {_NAMES[seen]}, which {integration!r}, an integration of kind {kind}, does not read: "
        f"send it to an integration of kind {seen} instead (`switchboard integration create --kind {seen} --name ...`; "
        "docs/integrations.md has each tool's setup)"
    )
    if kind == "generic":
        fix += f", or map its fields onto the generic shape (`switchboard mapping set {integration} FILE`)"
    return fix
