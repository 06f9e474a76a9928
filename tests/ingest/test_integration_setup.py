"""Setup help for each tool: its test alert is what its normaliser accepts, and its snippets carry URL and secret."""

from __future__ import annotations

import pytest
import yaml

from hub.domain import ALERT_KINDS, INTEGRATION_KINDS, Action
from hub.integration_doors import door
from ingest.webhooks import setup
from ingest.webhooks.kinds import normalise, normalise_deploy


@pytest.mark.parametrize("kind", ALERT_KINDS)
def test_each_kinds_test_alert_is_one_firing_event_in_its_own_shape(kind: str) -> None:
    events = normalise(kind, setup.sample(kind), integration="tool")
    assert len(events) == 1
    assert events[0].action is Action.TRIGGER and setup.TEST_TITLE in events[0].title


def test_the_deploy_kinds_test_is_one_successful_deploy() -> None:
    deploy = normalise_deploy(setup.sample("deploy"), integration="ci")
    assert deploy is not None and deploy.status == "success" and deploy.title == setup.TEST_TITLE


@pytest.mark.parametrize("kind", INTEGRATION_KINDS)
def test_each_kinds_snippets_name_its_endpoint_and_the_secret(kind: str) -> None:
    texts = "\n".join(s.text for s in setup.snippets(kind, "https://desk.example.com/", "tool", "sbi_s3cret"))
    assert "https://desk.example.com" + setup.endpoint(kind, "tool") in texts or kind == "opsgenie"
    assert "sbi_s3cret" in texts and "<secret>" not in texts


@pytest.mark.parametrize("kind", INTEGRATION_KINDS)
def test_each_kinds_curl_posts_through_its_door_with_the_secret_where_the_door_says(kind: str) -> None:
    """The snippets read the table `switchboard integration create` reads (hub/integration_doors.py)."""
    curl, entry = setup.snippets(kind, "http://hub", "tool", "sbi_x")[-1].text, door(kind, "tool")
    assert f"'http://hub{entry.path}'" in curl
    if entry.scheme:
        assert f"-H 'Authorization: {entry.scheme} sbi_x'" in curl
    else:
        assert "Authorization" not in curl and f'"{entry.body_key}": "sbi_x"' in curl


def test_without_the_secret_the_snippets_use_a_placeholder() -> None:
    texts = "\n".join(s.text for s in setup.snippets("alertmanager", "http://hub", "prom"))
    assert "credentials: <secret>" in texts


@pytest.mark.parametrize("kind", ["alertmanager", "grafana", "pagerduty", "opsgenie"])
def test_yaml_snippets_parse(kind: str) -> None:
    for snippet in setup.snippets(kind, "http://hub", "tool", "sbi_x"):
        if snippet.language == "yaml":
            assert isinstance(yaml.safe_load(snippet.text), dict)


def test_alertmanager_snippet_sends_the_secret_as_a_bearer_token() -> None:
    config = yaml.safe_load(setup.snippets("alertmanager", "http://hub", "prom", "sbi_x")[0].text)
    webhook = config["receivers"][0]["webhook_configs"][0]
    assert webhook["url"] == "http://hub/api/v1/events/prom"
    assert webhook["http_config"]["authorization"] == {"type": "Bearer", "credentials": "sbi_x"}


def test_curl_snippet_quotes_a_secret_safely_for_the_shell() -> None:
    curl = setup.snippets("generic", "http://hub", "x", "it's")[-1].text
    assert "Authorization: Bearer it'\\''s" in curl
