"""Slack, Teams and Mattermost messages, rendered without a network (pure)."""

from __future__ import annotations

import json

from hub.channels import SAMPLE_FACTS
from outbound.channels.chat import render, render_slack

FACTS = dict(SAMPLE_FACTS, title="Disk <full> & db1")


def test_slack_message_links_reference_and_escapes_title() -> None:
    message = render_slack(FACTS)
    headline = message["blocks"][0]["text"]["text"]
    assert headline.startswith("*<https://switchboard.example/incidents/INC-42|INC-42>* P1 opened")
    assert "Disk &lt;full&gt; &amp; db1" in headline and message["text"].startswith("INC-42 ")


def test_slack_message_lists_priority_severity_and_assignee() -> None:
    fields = [f["text"] for f in render_slack(FACTS)["blocks"][1]["fields"]]
    assert fields == ["*Priority*\nP1", "*Severity*\ncritical", "*Assignee*\noncall@example.com"]


def test_mattermost_message_is_markdown_with_fields() -> None:
    message = render("mattermost", FACTS, "https://mm.example/hooks/x")
    assert message["text"] == "#### [INC-42](https://switchboard.example/incidents/INC-42) P1 opened: Disk <full> & db1"
    assert {f["title"]: f["value"] for f in message["attachments"][0]["fields"]}["Assignee"] == "oncall@example.com"


def test_teams_workflow_webhook_gets_adaptive_card() -> None:
    message = render("teams", FACTS, "https://prod-1.westeurope.logic.azure.com/workflows/x")
    card = message["attachments"][0]
    assert message["type"] == "message" and card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["actions"][0]["url"] == FACTS["url"]
    assert {"title": "Priority", "value": "P1"} in card["content"]["body"][1]["facts"]


def test_teams_office_connector_gets_message_card() -> None:
    message = render("teams", FACTS, "https://contoso.webhook.office.com/webhookb2/x")
    assert message["@type"] == "MessageCard" and message["title"].startswith("INC-42 P1 opened")
    assert message["potentialAction"][0]["targets"][0]["uri"] == FACTS["url"]


def test_unassigned_incident_says_so() -> None:
    message = render("mattermost", dict(FACTS, assignee=None), "https://mm.example/hooks/x")
    assert "nobody yet" in json.dumps(message)
