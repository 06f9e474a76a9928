"""A body refused by one kind of integration that is another tool's: the refusal says which kind reads it."""

from __future__ import annotations

import pytest

from ingest.errors import InvalidPayload
from ingest.webhooks.kinds import normalise
from tests.ingest.webhooks import load_fixture


@pytest.mark.parametrize(
    ("tool", "fixture"),
    [("alertmanager", "firing_and_resolved.json"), ("zabbix", "problem.json"), ("nagios", "host_down.json"),
     ("pagerduty", "trigger.json")],
)  # fmt: skip
def test_another_tools_body_posted_to_a_generic_integration_names_the_kind_that_reads_it(
    tool: str, fixture: str
) -> None:
    with pytest.raises(InvalidPayload) as refused:
        normalise("generic", load_fixture(tool, fixture), integration="demo")
    message = str(refused.value)
    assert f"send it to an integration of kind {tool} instead" in message
    assert "`switchboard mapping set demo FILE`" in message


def test_a_generic_body_posted_to_an_alertmanager_integration_says_to_use_a_generic_one() -> None:
    with pytest.raises(InvalidPayload, match="'prom', an integration of kind alertmanager, does not read: send it"):
        normalise("alertmanager", {"title": "Disk full on db1"}, integration="prom")


def test_a_body_no_tool_sends_is_refused_without_a_hint() -> None:
    with pytest.raises(InvalidPayload) as refused:
        normalise("generic", {"summary": "Disk full"}, integration="demo")
    assert str(refused.value) == "'title' is required: a short summary such as \"Disk full on db1\""


def test_a_legacy_grafana_alert_to_a_grafana_integration_is_not_sent_to_a_generic_one() -> None:
    with pytest.raises(InvalidPayload) as refused:
        normalise("grafana", load_fixture("grafana", "legacy.json"), integration="grafana")
    assert "unified alerting" in str(refused.value) and "kind generic" not in str(refused.value)
