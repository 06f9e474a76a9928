"""The rules condition "a change on this service in the last N minutes" (`change.minutes_ago`)."""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

from hub import rulebook
from hub.db import Database
from hub.deploys import Deploy, record_deploy
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, utcnow
from rules import rules_file
from rules.conditions import EventView

RULES = """rules:
- name: Right after a change
  when: {field: change.minutes_ago, op: lt, value: 30}
  set: {category: change-related}
"""


def alert(service: str) -> InboundEvent:
    return InboundEvent(source="generic", title="5xx up", labels=MappingProxyType({"service": service}))


def category_for(db: Database, intake: Intake, service: str) -> str | None:
    outcome = intake.record(Raw("generic", "application/json", b"{}"), alert(service))
    with db.read() as session:
        incident = session.get(Incident, outcome.incident_id)
        assert incident is not None
        return incident.category


def deployed(db: Database, service: str, minutes_ago: int) -> None:
    finished = utcnow() - timedelta(minutes=minutes_ago)
    deploy = Deploy(service=service, status="success", finished_at=finished, version="1")
    record_deploy(db, Raw("deploy", "application/json", b"{}"), deploy, integration="ci")


def use(db: Database) -> None:
    parsed = rules_file.parse_file(RULES)
    with db.transaction() as session:
        rulebook.replace_all(session, parsed.rules, parsed.settings)


def test_the_field_reads_the_fact_the_hub_looked_up() -> None:
    event = InboundEvent(source="generic", title="x", facts=MappingProxyType({"change.minutes_ago": 12}))
    assert EventView(event).value("change.minutes_ago") == 12


def test_an_alert_minutes_after_a_change_on_its_service_matches(db: Database, intake: Intake) -> None:
    use(db)
    deployed(db, "checkout", minutes_ago=10)
    assert category_for(db, intake, "checkout") == "change-related"


def test_a_change_long_ago_or_on_another_service_does_not(db: Database, intake: Intake) -> None:
    use(db)
    deployed(db, "checkout", minutes_ago=90)
    deployed(db, "search", minutes_ago=5)
    assert category_for(db, intake, "checkout") != "change-related"
    assert category_for(db, intake, "billing") != "change-related"
