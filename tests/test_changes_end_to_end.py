"""Changes explain incidents, end to end on a real SQLite database through the web app: a deploy pipeline reports
its deploys to a `deploy` integration, monitoring alerts on the same service minutes later, a routing rule puts the
incident on that service, and the incident's `related_changes` names the deploy as the likely culprit; when the
alert keeps coming back, its third recurrence is suggested as a problem."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from hub import accounts, catalogue, rulebook
from hub.config import Settings
from hub.db import Database
from hub.domain import RuleSpec
from hub.models import utcnow
from web import create_app
from web.services import services


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[FlaskClient]:
    app = create_app(settings, db=db)
    yield app.test_client()
    with app.app_context():
        services().close()


def test_a_deploy_minutes_before_an_alert_is_named_its_likely_culprit(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="checkout", owner_group="payments")
        _, ci = accounts.create_integration(session, name="ci", kind="deploy")
        _, prometheus = accounts.create_integration(session, name="prometheus")
        token = accounts.create_token(session, name="oncall", role="viewer")
        rulebook.add_rule(session, RuleSpec(id=0, name="Checkout alerts", when={"field": "labels.app", "op": "equals",
                                            "value": "checkout"}, actions={"service": "checkout"}))  # fmt: skip

    def deploy(**fields: str) -> dict[str, object]:
        response = client.post("/api/v1/events/ci", json=fields, headers={"Authorization": f"Bearer {ci}"})
        assert response.status_code == 202, response.get_data(as_text=True)
        body: dict[str, object] = response.json  # type: ignore[assignment]
        return body

    now = utcnow()
    ago = {m: (now - timedelta(minutes=m)).isoformat() for m in (2, 5, 9, 180)}
    deploy(service="checkout", version="1.4.1", status="success", deploy_id="run-41", finished_at=ago[180])
    # The deploy that broke it: reported when it started, then again when it finished, five minutes ago.
    started = deploy(service="checkout", version="1.4.2", status="in_progress", deploy_id="run-42", started_at=ago[9])
    finished = deploy(service="checkout", version="1.4.2", status="success", deploy_id="run-42",
                      finished_at=ago[5], link="https://ci.example.com/checkout/runs/42")  # fmt: skip
    assert started["change"] == finished["change"] == "CHG-2" and finished["change_state"] == "implemented"
    deploy(service="search", version="7.0.0", status="success", deploy_id="search-7", finished_at=ago[2])

    alert = client.post("/api/v1/events/prometheus", headers={"Authorization": f"Bearer {prometheus}"},
                        json={"title": "Checkout 5xx above 5%", "severity": "critical", "dedup_key": "checkout-5xx",
                              "labels": {"app": "checkout"}})  # fmt: skip
    assert alert.status_code == 202 and alert.json["incident"] == "INC-1"  # type: ignore[index]

    incident = client.get("/api/v1/incidents/INC-1", headers={"Authorization": f"Bearer {token}"}).json
    assert incident["service"] == "checkout"  # type: ignore[index]
    related = [(r["ref"], r["service"], r["version"], r["likely_culprit"]) for r in incident["related_changes"]]  # type: ignore[index]
    assert related == [
        ("CHG-2", "checkout", "1.4.2", True),  # same service, newest before the alert
        ("CHG-1", "checkout", "1.4.1", False),  # same service, earlier
        ("CHG-3", "search", "7.0.0", False),  # another service, listed after the service's own
    ]
    culprit = incident["related_changes"][0]  # type: ignore[index]
    assert culprit["link"] == "https://ci.example.com/checkout/runs/42"
    assert culprit["implemented_at"] == ago[5]

    listed = client.get("/api/v1/changes", headers={"Authorization": f"Bearer {token}"}).json
    assert [c["ref"] for c in listed] == ["CHG-3", "CHG-2", "CHG-1"]  # type: ignore[union-attr]
    everything = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).json
    assert [i["ref"] for i in everything] == ["INC-1"]  # type: ignore[union-attr]  # deploys opened no incidents

    # It keeps coming back: resolved, then firing again, twice more. The third time suggests a problem.
    viewer = {"Authorization": f"Bearer {token}"}
    for _ in range(2):
        client.post("/api/v1/events/prometheus", headers={"Authorization": f"Bearer {prometheus}"},
                    json={"status": "resolve", "dedup_key": "checkout-5xx"})  # fmt: skip
        assert client.get("/api/v1/problems/suggestions", headers=viewer).json == []
        again = client.post("/api/v1/events/prometheus", headers={"Authorization": f"Bearer {prometheus}"},
                            json={"title": "Checkout 5xx above 5%", "severity": "critical",
                                  "dedup_key": "checkout-5xx", "labels": {"app": "checkout"}})  # fmt: skip
        assert again.json["created"] is True  # type: ignore[index]
    [suggestion] = client.get("/api/v1/problems/suggestions", headers=viewer).json  # type: ignore[misc]
    assert suggestion["count"] == 3 and sorted(suggestion["incidents"]) == ["INC-1", "INC-2", "INC-3"]
    assert suggestion["service"] == "checkout" and suggestion["dedup_key"] == "checkout-5xx"
