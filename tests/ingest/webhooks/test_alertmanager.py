"""Alertmanager's webhook (payload version 4): one event per alert, keyed by the alert's fingerprint."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.domain import Action
from ingest.errors import InvalidPayload
from ingest.webhooks.alertmanager import label_fingerprint, map_severity, normalise
from tests.ingest.webhooks import load_fixture


def _alerts(name: str) -> Any:
    return load_fixture("alertmanager", name)


def test_batch_makes_one_event_per_alert_in_order() -> None:
    events = normalise(_alerts("firing_and_resolved.json"), integration="prom")
    assert [(e.action, e.dedup_key) for e in events] == [
        (Action.TRIGGER, "a22f78e7eb0683e9"),
        (Action.RESOLVE, "160c6ea060199a2e"),
    ]
    assert {(e.source, e.integration) for e in events} == {("alertmanager", "prom")}


def test_firing_alert_takes_title_from_summary_and_severity_from_label() -> None:
    disk = normalise(_alerts("firing_and_resolved.json"), integration="prom")[0]
    assert disk.title == "Filesystem has less than 5% space left."
    assert disk.severity == "critical"


def test_alert_labels_become_event_labels() -> None:
    disk = normalise(_alerts("firing_and_resolved.json"), integration="prom")[0]
    assert dict(disk.labels) == {
        "alertname": "NodeFilesystemAlmostOutOfSpace",
        "device": "/dev/nvme0n1p1",
        "fstype": "ext4",
        "instance": "db1.example.net:9100",
        "job": "node",
        "mountpoint": "/var/lib/postgresql",
        "severity": "critical",
        "team": "dba",
    }


def test_description_has_annotations_times_and_links() -> None:
    disk = normalise(_alerts("firing_and_resolved.json"), integration="prom")[0]
    lines = disk.description.splitlines()
    assert lines[0] == "Filesystem on /dev/nvme0n1p1 at db1.example.net:9100 has only 3.12% available space left."
    assert "runbook_url: https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemalmostoutofspace" in lines
    assert "Started: 2024-05-14T08:21:47.301Z" in lines
    assert not any(line.startswith("Ended:") for line in lines)  # a firing alert's endsAt is Go's zero time
    assert any(line.startswith("Source: http://prometheus.example.net:9090/graph?g0.expr=") for line in lines)
    assert "Alertmanager: http://alertmanager.example.net:9093" in lines


def test_resolved_alert_shows_when_it_ended() -> None:
    cpu = normalise(_alerts("firing_and_resolved.json"), integration="prom")[1]
    assert "Ended: 2024-05-14T08:23:02.301Z" in cpu.description.splitlines()


def test_resolved_only_notification_resolves_each_alert() -> None:
    events = normalise(_alerts("resolved.json"), integration="prom")
    assert [(e.action, e.dedup_key, e.title, e.severity) for e in events] == [
        (Action.RESOLVE, "a77b2d0a4157eceb", "Pod is crash looping.", "warning")
    ]


def test_without_fingerprint_the_key_is_the_one_alertmanager_would_send() -> None:
    event = normalise(_alerts("without_fingerprint.json"), integration="prom")[0]
    assert event.dedup_key == "ebdfa63bd68f3825" == label_fingerprint(dict(event.labels))


def test_without_summary_the_title_is_the_alertname() -> None:
    event = normalise(_alerts("without_fingerprint.json"), integration="prom")[0]
    assert event.title == "HostHighCpuLoad"


def test_label_fingerprint_matches_prometheus_test_vectors() -> None:
    # From prometheus/common model/signature_test.go (printed as Alertmanager prints fingerprints: %016x).
    assert label_fingerprint({}) == f"{14695981039346656037:016x}"
    assert label_fingerprint({"name": "garland, briggs", "fear": "love is not enough"}) == f"{5799056148416392346:016x}"


def test_derived_key_is_stable_across_label_order() -> None:
    forwards = {"status": "firing", "labels": {"alertname": "Down", "instance": "a:9100", "job": "node"}}
    backwards = {"status": "firing", "labels": {"job": "node", "instance": "a:9100", "alertname": "Down"}}
    first = normalise({"alerts": [forwards]}, integration="prom")[0]
    second = normalise({"alerts": [backwards]}, integration="prom")[0]
    assert first.dedup_key == second.dedup_key


def test_different_labels_give_different_keys() -> None:
    one = normalise(
        {"alerts": [{"status": "firing", "labels": {"alertname": "Down", "instance": "a"}}]}, integration="p"
    )
    two = normalise(
        {"alerts": [{"status": "firing", "labels": {"alertname": "Down", "instance": "b"}}]}, integration="p"
    )
    assert one[0].dedup_key != two[0].dedup_key


def test_unknown_fields_are_tolerated() -> None:
    payload = copy.deepcopy(_alerts("resolved.json"))
    payload["futureField"] = {"nested": [1, 2]}
    payload["alerts"][0]["silencedBy"] = ["d3a0a1"]
    assert normalise(payload, integration="prom")[0].dedup_key == "a77b2d0a4157eceb"


def test_missing_severity_label_is_unknown() -> None:
    event = normalise({"alerts": [{"status": "firing", "labels": {"alertname": "Down"}}]}, integration="prom")[0]
    assert event.severity == "unknown"


@pytest.mark.parametrize(
    ("word", "severity"),
    [("critical", "critical"), ("page", "critical"), ("error", "high"), ("Warning", "warning"), ("none", "info"),
     ("info", "info"), ("sev-9", "unknown"), (None, "unknown")],
)  # fmt: skip
def test_severity_words_map_into_hub_severities(word: str | None, severity: str) -> None:
    assert map_severity(word) == severity


@pytest.mark.parametrize(
    ("payload", "names"),
    [
        ([], "body must be a JSON object"),
        ({"receiver": "x"}, "alerts must be a non-empty list"),
        ({"alerts": []}, "alerts must be a non-empty list"),
        ({"alerts": ["firing"]}, r"alerts\[0\] must be a JSON object"),
        ({"alerts": [{"labels": {}}]}, r"alerts\[0\]\.status must be 'firing' or 'resolved', not None"),
        ({"alerts": [{"status": "pending"}]}, r"alerts\[0\]\.status must be 'firing' or 'resolved', not 'pending'"),
        ({"alerts": [{"status": "firing"}, {"status": "firing"}, {"status": "firing", "labels": ["a"]}]},
         r"alerts\[2\]\.labels must be an object"),
        ({"alerts": [{"status": "firing", "labels": {"team": {"name": "db"}}}]},
         r"alerts\[0\]\.labels\.team must be a string"),
        ({"alerts": [{"status": "firing", "annotations": "disk full"}]}, r"alerts\[0\]\.annotations must be an object"),
        ({"alerts": [{"status": "firing", "fingerprint": 42}]}, r"alerts\[0\]\.fingerprint must be a string"),
        ({"alerts": [{"status": "firing", "generatorURL": 1}]}, r"alerts\[0\]\.generatorURL must be a string"),
        ({"alerts": [{"status": "firing"}], "externalURL": 5}, r"^externalURL must be a string"),
    ],
)  # fmt: skip
def test_invalid_payload_error_names_the_failing_field(payload: object, names: str) -> None:
    with pytest.raises(InvalidPayload, match=names):
        normalise(payload, integration="prom")
