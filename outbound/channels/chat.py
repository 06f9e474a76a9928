"""Slack, Microsoft Teams and Mattermost through their incoming webhooks, each in its own message format.

The message is the same everywhere: reference (linked to the incident in the UI, via SWITCHBOARD_PUBLIC_URL), title,
what happened, priority, severity and assignee. `render_*` are pure, so formats are tested without a network.

Teams has two kinds of incoming webhook: the retired Office 365 connectors (hosts under `webhook.office.com`) take a
MessageCard; Power Automate "Workflows" webhooks take an Adaptive Card in a message envelope. The URL says which.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from hub.channels import ChannelSpec
from hub.webhook_targets import Reach
from outbound.channels import http
from outbound.notification import Notification

_COLOURS = {1: "#d0021b", 2: "#f5a623", 3: "#f8e71c", 4: "#4a90e2", 5: "#9b9b9b"}


def _headline(facts: Mapping[str, Any]) -> str:
    return f"P{facts.get('priority', '?')} {facts.get('kind', 'update')}: {facts.get('title', '')}"


def _details(facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Priority", f"P{facts.get('priority', '?')}"),
        ("Severity", str(facts.get("severity") or "unknown")),
        ("Assignee", str(facts.get("assignee") or "nobody yet")),
    ]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_slack(facts: Mapping[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: plain `text` for notifications, blocks for the channel."""
    ref, url = str(facts.get("reference", "")), str(facts.get("url", ""))
    headline = _slack_escape(_headline(facts))
    fields = [{"type": "mrkdwn", "text": f"*{name}*\n{_slack_escape(value)}"} for name, value in _details(facts)]
    return {
        "text": f"{ref} {headline}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*<{url}|{ref}>* {headline}"}},
            {"type": "section", "fields": fields},
        ],
    }


def render_mattermost(facts: Mapping[str, Any]) -> dict[str, Any]:
    """A Mattermost incoming-webhook message: a Markdown headline with the details as an attachment's fields."""
    ref, url = str(facts.get("reference", "")), str(facts.get("url", ""))
    return {
        "text": f"#### [{ref}]({url}) {_headline(facts)}",
        "attachments": [
            {
                "fallback": f"{ref} {_headline(facts)}",
                "color": _COLOURS.get(int(facts.get("priority") or 3), "#9b9b9b"),
                "fields": [{"short": True, "title": name, "value": value} for name, value in _details(facts)],
            }
        ],
    }


def render_teams_message_card(facts: Mapping[str, Any]) -> dict[str, Any]:
    """An Office 365 connector MessageCard."""
    ref, url = str(facts.get("reference", "")), str(facts.get("url", ""))
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": f"{ref} {_headline(facts)}",
        "themeColor": _COLOURS.get(int(facts.get("priority") or 3), "#9b9b9b").lstrip("#"),
        "title": f"{ref} {_headline(facts)}",
        "sections": [{"facts": [{"name": name, "value": value} for name, value in _details(facts)]}],
        "potentialAction": [{"@type": "OpenUri", "name": f"Open {ref}", "targets": [{"os": "default", "uri": url}]}],
    }


def render_teams_adaptive_card(facts: Mapping[str, Any]) -> dict[str, Any]:
    """An Adaptive Card in the message envelope Teams Workflows webhooks expect."""
    ref, url = str(facts.get("reference", "")), str(facts.get("url", ""))
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": f"{ref} {_headline(facts)}",
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in _details(facts)]},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": f"Open {ref}", "url": url}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def is_legacy_teams_connector(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "outlook.office.com" or host.endswith(".webhook.office.com") or host == "webhook.office.com"


def render(kind: str, facts: Mapping[str, Any], url: str) -> dict[str, Any]:
    """The message for a chat channel of `kind` (pure)."""
    renderers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
        "slack": render_slack,
        "mattermost": render_mattermost,
        "teams": render_teams_message_card if is_legacy_teams_connector(url) else render_teams_adaptive_card,
    }
    return renderers[kind](facts)


def build(notification: Notification, channel: ChannelSpec) -> http.Request:
    url = channel.url or ""
    body = json.dumps(render(channel.kind, notification.payload or {}, url), separators=(",", ":")).encode()
    headers = {k: v for k, v in channel.headers.items() if k.lower() != "content-type"}
    headers["Content-Type"] = "application/json"
    headers["X-Switchboard-Delivery"] = notification.delivery_id
    return http.Request(channel.method, url, headers, body)


def send(notification: Notification, channel: ChannelSpec, reach: Reach = "network") -> None:
    http.send(build(notification, channel), reach=reach)
