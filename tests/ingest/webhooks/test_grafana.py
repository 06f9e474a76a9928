"""Grafana's unified alerting webhook: one event per alert with Grafana's links, and its HMAC signature check."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.domain import Action
from ingest.errors import InvalidPayload
from ingest.webhooks.grafana import normalise, verify_signature
from tests.ingest.webhooks import load_fixture

SECRET = "s3cr3t-from-contact-point"
SENT_AT = "1715681700"
# The exact bytes signed (inline, so no checkout's line-ending conversion can change them), and signatures
# computed independently: printf '%s' "$SENT_AT:$BODY" | openssl dgst -sha256 -hmac "$SECRET" (and without prefix).
BODY = (
    b'{"receiver":"switchboard","status":"firing","orgId":1,"alerts":[{"status":"firing","labels":'
    b'{"alertname":"High memory usage","team":"blue","zone":"us-1"},"fingerprint":"c6eadffa33fcdf37"}],'
    b'"version":"1","state":"alerting"}'
)
SIGNED_WITH_TIMESTAMP = "588a0fa16b9717374bcdcafc48fbfa04465675dcbe070ee27babf55d498c4440"
SIGNED_BODY_ONLY = "db1a226f67ccd9861c005338d6f5ca4bf1cce0482b82a84d2d8d65c572fc0057"


def _notification(name: str) -> Any:
    return load_fixture("grafana", name)


def test_documented_example_makes_an_event_per_firing_alert() -> None:
    events = normalise(_notification("firing.json"), integration="grafana-prod")
    assert [(e.title, e.action, e.dedup_key, e.severity) for e in events] == [
        ("This alert was triggered for zone us-1", Action.TRIGGER, "c6eadffa33fcdf37", "unknown"),
        ("This alert was triggered for zone eu-1", Action.TRIGGER, "bc97ff14869b13e3", "unknown"),
    ]
    assert {(e.source, e.integration) for e in events} == {("grafana", "grafana-prod")}
    assert dict(events[0].labels) == {"alertname": "High memory usage", "team": "blue", "zone": "us-1"}


def test_mixed_batch_follows_each_alerts_status_not_the_group_state() -> None:
    events = normalise(_notification("firing_and_resolved.json"), integration="grafana-prod")
    assert [(e.action, e.severity, e.dedup_key) for e in events] == [
        (Action.TRIGGER, "critical", "3b8b2a6b9e0f1d47"),
        (Action.RESOLVE, "warning", "91f0c3d2e4a5b687"),
    ]


def test_description_has_values_and_grafana_links() -> None:
    latency = normalise(_notification("firing_and_resolved.json"), integration="grafana-prod")[0]
    lines = latency.description.splitlines()
    assert lines[0] == "p99 request latency of checkout-api has been above 1s for 5 minutes."
    assert "Values: A=2.4117, B=1" in lines
    assert "Rule: https://grafana.example.net/alerting/grafana/fdk3v8x1q2kn4c/view?orgId=1" in lines
    assert any(line.startswith("Dashboard: https://grafana.example.net/d/checkout-slo?") for line in lines)
    assert any(line.startswith("Panel: https://grafana.example.net/d/checkout-slo?") for line in lines)
    assert any(line.startswith("Silence: https://grafana.example.net/alerting/silence/new?") for line in lines)
    assert "Image: https://grafana.example.net/public/img/attachments/8wEw0r5kAJ1yYXbTdM3c.png" in lines


def test_empty_links_are_left_out() -> None:
    memory = normalise(_notification("firing.json"), integration="grafana-prod")[0]
    assert "Dashboard:" not in memory.description and "Panel:" not in memory.description


def test_resolved_notification_resolves_the_alert_it_fired() -> None:
    fired = normalise(_notification("firing_and_resolved.json"), integration="grafana-prod")[0]
    resolved = normalise(_notification("resolved.json"), integration="grafana-prod")
    assert [(e.action, e.dedup_key) for e in resolved] == [(Action.RESOLVE, fired.dedup_key)]


def test_value_string_is_shown_when_values_are_absent() -> None:
    alert = {"status": "firing", "labels": {"alertname": "Old"}, "valueString": "[ var='A' value=3 ]"}
    assert "Values: [ var='A' value=3 ]" in normalise({"alerts": [alert]}, integration="g")[0].description


def test_without_fingerprint_the_key_is_stable_across_label_order() -> None:
    forwards = {"status": "firing", "labels": {"alertname": "Disk usage", "instance": "db1", "grafana_folder": "Infra"}}
    backwards = {
        "status": "firing",
        "labels": {"grafana_folder": "Infra", "instance": "db1", "alertname": "Disk usage"},
    }
    assert (
        normalise({"alerts": [forwards]}, integration="g")[0].dedup_key
        == normalise({"alerts": [backwards]}, integration="g")[0].dedup_key
    )


def test_unknown_fields_are_tolerated() -> None:
    payload = copy.deepcopy(_notification("resolved.json"))
    payload["alerts"][0]["embeddedImage"] = "chart.png"
    payload["alerts"][0]["orgId"] = 1
    payload["someFutureField"] = True
    assert normalise(payload, integration="g")[0].action is Action.RESOLVE


def test_legacy_grafana_alert_is_refused_with_a_pointer_to_unified_alerting() -> None:
    with pytest.raises(InvalidPayload, match="legacy Grafana alert"):
        normalise(_notification("legacy.json"), integration="g")


@pytest.mark.parametrize(
    ("payload", "names"),
    [
        ("alerting", "body must be a JSON object"),
        ({"state": "alerting"}, "alerts must be a non-empty list"),
        ({"alerts": [{"status": "firing", "values": [1, 2]}]}, r"alerts\[0\]\.values must be an object"),
        ({"alerts": [{"status": "firing", "silenceURL": ["x"]}]}, r"alerts\[0\]\.silenceURL must be a string"),
        ({"alerts": [{"status": "ok"}]}, r"alerts\[0\]\.status must be 'firing' or 'resolved', not 'ok'"),
        ({"alerts": [{"status": "firing"}, {"status": "firing", "labels": "a=b"}]}, r"alerts\[1\]\.labels must be"),
    ],
)
def test_invalid_payload_error_names_the_failing_field(payload: object, names: str) -> None:
    with pytest.raises(InvalidPayload, match=names):
        normalise(payload, integration="g")


def test_signature_with_timestamp_is_valid_within_max_age() -> None:
    assert verify_signature(BODY, SECRET, SIGNED_WITH_TIMESTAMP, SENT_AT, now=float(SENT_AT) + 30)


def test_signature_without_timestamp_covers_the_body_alone() -> None:
    assert verify_signature(BODY, SECRET, SIGNED_BODY_ONLY, None, now=0.0)


def test_signature_with_wrong_secret_is_refused() -> None:
    assert not verify_signature(BODY, "another-secret", SIGNED_WITH_TIMESTAMP, SENT_AT, now=float(SENT_AT))


def test_signature_over_a_changed_body_is_refused() -> None:
    tampered = BODY.replace(b"us-1", b"us-2")
    assert not verify_signature(tampered, SECRET, SIGNED_WITH_TIMESTAMP, SENT_AT, now=float(SENT_AT))


def test_stale_timestamp_is_refused_even_with_a_good_signature() -> None:
    assert not verify_signature(BODY, SECRET, SIGNED_WITH_TIMESTAMP, SENT_AT, now=float(SENT_AT) + 301)


def test_timestamp_far_in_the_future_is_refused() -> None:
    assert not verify_signature(BODY, SECRET, SIGNED_WITH_TIMESTAMP, SENT_AT, now=float(SENT_AT) - 301)


def test_timestamp_signature_does_not_pass_without_the_timestamp() -> None:
    assert not verify_signature(BODY, SECRET, SIGNED_WITH_TIMESTAMP, None, now=float(SENT_AT))


@pytest.mark.parametrize("signature", ["", "not-hex", "é" * 64, SIGNED_BODY_ONLY[:-1]])
def test_malformed_signature_is_refused(signature: str) -> None:
    assert not verify_signature(BODY, SECRET, signature, None, now=0.0)


def test_malformed_timestamp_is_refused() -> None:
    assert not verify_signature(BODY, SECRET, SIGNED_WITH_TIMESTAMP, "yesterday", now=float(SENT_AT))


def test_empty_secret_never_verifies() -> None:
    assert not verify_signature(b"", "", "", None, now=0.0)
