"""Deploy reports: the generic JSON, GitHub's deployment_status webhook (its documented example) and the body the
Argo CD notifications template in docs/changes.md renders, each read into one Deploy."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.errors import InvalidPayload
from ingest.webhooks.deploy import normalise
from ingest.webhooks.kinds import normalise as normalise_alerts
from tests.ingest.webhooks import load_fixture


def github(state: str = "success") -> Any:
    payload = load_fixture("deploy", "github_deployment_status.json")
    payload["deployment_status"]["state"] = state
    return payload


def test_the_generic_shape_carries_every_documented_field() -> None:
    deploy = normalise(load_fixture("deploy", "generic_success.json"), integration="ci")
    assert deploy is not None
    assert (deploy.service, deploy.version, deploy.environment, deploy.status) == (
        "checkout", "1.4.2", "production", "success"
    )  # fmt: skip
    assert deploy.started_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert deploy.finished_at == datetime(2026, 3, 1, 10, 4, tzinfo=UTC)
    assert (deploy.link, deploy.deploy_id, deploy.deployed_by) == (
        "https://ci.example.com/checkout/runs/42", "checkout-run-42", "release-bot"
    )  # fmt: skip


def test_githubs_documented_example_is_a_successful_deploy_of_the_repository() -> None:
    deploy = normalise(github(), integration="github")
    assert deploy is not None
    assert (deploy.service, deploy.status, deploy.environment) == ("Hello-World", "success", "production")
    assert (deploy.version, deploy.deploy_id, deploy.deployed_by) == (
        "master@f95f852",
        "github:145988746",
        "Codertocat",
    )
    assert deploy.started_at == datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC)
    assert deploy.finished_at == datetime(2019, 5, 15, 15, 20, 55, tzinfo=UTC)
    assert deploy.link == "https://github.com/Codertocat/Hello-World/deployments"  # target_url is empty there


@pytest.mark.parametrize(("state", "status"), [("failure", "failure"), ("error", "failure"),
                                               ("in_progress", "in_progress"), ("queued", "in_progress")])  # fmt: skip
def test_github_states_map_onto_deploy_statuses(state: str, status: str) -> None:
    deploy = normalise(github(state), integration="github")
    assert deploy is not None and deploy.status == status


def test_a_github_deploy_in_progress_has_not_finished() -> None:
    deploy = normalise(github("in_progress"), integration="github")
    assert deploy is not None and deploy.finished_at is None


def test_an_inactive_github_deployment_records_nothing() -> None:
    assert normalise(github("inactive"), integration="github") is None


def test_a_github_target_url_is_the_link_and_a_payload_service_names_the_service() -> None:
    payload = github()
    payload["deployment_status"]["target_url"] = "https://github.com/Codertocat/Hello-World/actions/runs/7"
    payload["deployment"]["payload"] = {"service": "hello-api"}
    deploy = normalise(payload, integration="github")
    assert deploy is not None
    assert (deploy.service, deploy.link) == ("hello-api", "https://github.com/Codertocat/Hello-World/actions/runs/7")


def test_the_argo_cd_template_body_is_a_generic_deploy() -> None:
    deploy = normalise(load_fixture("deploy", "argocd_on_deployed.json"), integration="argocd")
    assert deploy is not None
    assert (deploy.service, deploy.status, deploy.environment) == ("guestbook", "success", "in-cluster/guestbook")
    assert deploy.deploy_id == "argocd:guestbook:3f1c0a4e9d2b7c6a5f4e3d2c1b0a9f8e7d6c5b4a"


def test_a_numeric_version_is_read_as_text() -> None:
    deploy = normalise({"service": "api", "status": "success", "version": 42}, integration="ci")
    assert deploy is not None and deploy.version == "42"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service": None}, "'service' is required"),
        ({"status": "done"}, "'status' must be one of success, failure, in_progress"),
        ({"finished_at": "yesterday"}, "finished_at must be an ISO 8601 time"),
        ({"link": 5}, "link must be a string"),
    ],
)
def test_a_malformed_generic_deploy_names_the_field(change: dict[str, Any], message: str) -> None:
    payload = {**load_fixture("deploy", "generic_success.json"), **change}
    with pytest.raises(InvalidPayload, match=message):
        normalise(payload, integration="ci")


def test_a_github_body_with_an_unknown_state_is_refused() -> None:
    with pytest.raises(InvalidPayload, match="not a GitHub deployment state"):
        normalise(github("exploded"), integration="github")


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidPayload, match="JSON object"):
        normalise(["checkout"], integration="ci")


def test_a_deploy_integration_posts_no_alerts() -> None:
    with pytest.raises(InvalidPayload, match="report deploys, not alerts"):
        normalise_alerts("deploy", copy.deepcopy(load_fixture("deploy", "generic_success.json")), integration="ci")
