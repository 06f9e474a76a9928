"""What an admin needs to point a tool at an integration: copy-paste configuration, and a test alert in the tool's
own shape (pure: the web page renders these, and "send test alert" runs the sample through the real path)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.integration_doors import door

SECRET_PLACEHOLDER = "<secret>"
TEST_KEY = "switchboard-test-alert"
TEST_TITLE = "Test alert from Switchboard"


@dataclass(frozen=True)
class Snippet:
    title: str
    language: str  # sh | yaml | json
    text: str


def endpoint(kind: str, name: str) -> str:
    return door(kind, name).path


def snippets(kind: str, base_url: str, name: str, secret: str | None = None) -> list[Snippet]:
    """Configuration for the tool behind an integration, with the secret filled in when it is known (right after
    creation or rotation) and a placeholder otherwise. Longer guides are in docs/integrations.md."""
    base = base_url.rstrip("/")
    entry = door(kind, name)
    url, key = base + entry.path, secret or SECRET_PLACEHOLDER
    body = json.dumps(sample(kind, key), indent=2)
    match kind:
        case "alertmanager":
            found = [Snippet("alertmanager.yml", "yaml", _alertmanager(url, key))]
        case "grafana":
            found = [
                Snippet("Grafana contact point (provisioning/alerting/switchboard.yaml)", "yaml", _grafana(url, key))
            ]
        case "pagerduty":
            found = [Snippet("Events API v2: use this URL and routing key", "yaml",
                             f"url: {url}\nrouting_key: {key}\n")]  # fmt: skip
        case "opsgenie":
            found = [Snippet("Opsgenie API: use this base URL and API key", "yaml",
                             f"api_url: {base}/\napi_key: {key}\n")]  # fmt: skip
        case "deploy":
            found = [Snippet("GitHub: repository Settings > Webhooks > Add webhook (content type application/json, "
                             "event 'Deployment statuses')", "yaml", f"payload_url: {url}?secret={key}\n"),
                     Snippet("PagerDuty change events: send them to this URL with this routing key", "yaml",
                             f"url: {base}/v2/change/enqueue\nrouting_key: {key}\n")]  # fmt: skip
        case _:
            found = []
    auth = f" \\\n    -H 'Authorization: {entry.scheme} {_sh(key)}'" if entry.scheme else ""
    curl = f"curl -sS -X POST '{url}' \\\n    -H 'Content-Type: application/json'{auth} \\\n    -d '{_sh(body)}'\n"
    return [*found, Snippet("Try it with curl", "sh", curl)]


def sample(kind: str, secret: str = SECRET_PLACEHOLDER) -> dict[str, Any]:
    """A firing test alert in the shape `kind`'s tool sends (its dedup key is fixed, so tests do not pile up)."""
    labels = {"alertname": "SwitchboardTest", "severity": "warning", "source": "switchboard"}
    match kind:
        case "alertmanager":
            alert = {"status": "firing", "labels": labels, "annotations": {"summary": TEST_TITLE},
                     "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                     "generatorURL": "", "fingerprint": TEST_KEY}  # fmt: skip
            return {"version": "4", "status": "firing", "receiver": "switchboard", "groupKey": TEST_KEY,
                    "groupLabels": {}, "commonLabels": labels, "commonAnnotations": {}, "externalURL": "",
                    "truncatedAlerts": 0, "alerts": [alert]}  # fmt: skip
        case "grafana":
            alert = {"status": "firing", "labels": labels, "annotations": {"summary": TEST_TITLE},
                     "startsAt": "2026-01-01T00:00:00Z", "fingerprint": TEST_KEY, "values": {"A": 1}}  # fmt: skip
            return {"receiver": "switchboard", "status": "firing", "state": "alerting", "title": TEST_TITLE,
                    "version": "1", "orgId": 1, "alerts": [alert]}  # fmt: skip
        case "pagerduty":
            return {"routing_key": secret, "event_action": "trigger", "dedup_key": TEST_KEY,
                    "payload": {"summary": TEST_TITLE, "source": "switchboard", "severity": "warning"}}  # fmt: skip
        case "opsgenie":
            return {"message": TEST_TITLE, "alias": TEST_KEY, "priority": "P3", "source": "switchboard"}
        case "zabbix":
            return {"event_id": "0", "name": TEST_TITLE, "severity": 2, "status": "PROBLEM",
                    "host": "switchboard", "tags": [{"tag": "source", "value": "switchboard"}]}  # fmt: skip
        case "deploy":
            return {"service": "switchboard-test", "version": "0.0.0", "environment": "test", "status": "success",
                    "deploy_id": TEST_KEY, "title": TEST_TITLE}  # fmt: skip
        case "nagios":
            return {"notification_type": "PROBLEM", "host": "switchboard", "service": TEST_TITLE, "state": "WARNING",
                    "problem_id": TEST_KEY, "output": TEST_TITLE}  # fmt: skip
        case _:
            return {"title": TEST_TITLE, "severity": "warning", "dedup_key": TEST_KEY, "labels": labels}


def _sh(text: str) -> str:
    """Safe inside single quotes in a POSIX shell."""
    return text.replace("'", "'\\''")


def _alertmanager(url: str, key: str) -> str:
    return f"""route:
  receiver: switchboard
  group_by: [alertname, instance]

receivers:
  - name: switchboard
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {key}
"""


def _grafana(url: str, key: str) -> str:
    return f"""apiVersion: 1
contactPoints:
  - orgId: 1
    name: switchboard
    receivers:
      - uid: switchboard
        type: webhook
        disableResolveMessage: false
        settings:
          url: {url}
          httpMethod: POST
          authorization_scheme: Bearer
          authorization_credentials: {key}
"""
