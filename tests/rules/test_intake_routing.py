"""Rules applied by the real intake on a real SQLite database: suppress, group strategies, templates, the trace."""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from hub import groups, oncall, rulebook
from hub.db import Database
from hub.domain import InboundEvent, RuleSpec
from hub.intake import Intake, Raw
from hub.models import Event, Group, Incident, TimelineEntry, utcnow
from rules import rules_file
from tests.staff import agents, deactivate

RAW = Raw(source="generic", content_type="application/json", body=b"{}")


def use_rules(db: Database, yaml_text: str, **group_members: list[str]) -> None:
    parsed = rules_file.parse_file(yaml_text)
    with db.transaction() as s:
        for name, members in group_members.items():
            groups.save_group(s, name, agents(s, *members))
        rulebook.replace_all(s, parsed.rules, parsed.settings)


def alert(title: str = "Disk full", key: str | None = None, **labels: str) -> InboundEvent:
    return InboundEvent(source="generic", title=title, severity="critical", dedup_key=key,
                        labels=MappingProxyType(labels))  # fmt: skip


def incident(db: Database, incident_id: int | None) -> Incident:
    with db.read() as s:
        found = s.get(Incident, incident_id)
        assert found is not None
        s.expunge(found)
        return found


ROTA = """rules:
- name: DB to the DBA rota
  when: {field: labels.team, op: equals, value: db}
  set: {group: dba, strategy: %s}
"""


def test_a_suppressed_event_is_stored_with_its_trace_but_opens_no_incident(intake: Intake, db: Database) -> None:
    use_rules(
        db, "rules:\n- name: Drop test alerts\n  when: {field: labels.env, value: test}\n  set: {suppress: true}\n"
    )
    outcome = intake.record(RAW, alert(env="test"))
    assert outcome.incident_id is None
    with db.read() as s:
        event = s.get(Event, outcome.event_id)
        assert event is not None and s.scalar(select(Incident.id)) is None
        assert (event.status, event.error) == ("suppressed", "suppressed by rule 'Drop test alerts'")
        assert event.trace is not None
        assert event.trace["rules"][0]["sets"] == {"suppress": "yes"}
        assert event.trace["rules"][0]["conditions"] == ["labels.env equals 'test' (got 'test')"]


def test_an_event_no_suppress_rule_matches_still_opens_an_incident(intake: Intake, db: Database) -> None:
    use_rules(
        db, "rules:\n- name: Drop test alerts\n  when: {field: labels.env, value: test}\n  set: {suppress: true}\n"
    )
    assert intake.record(RAW, alert(env="prod")).created


def test_round_robin_goes_round_the_group_and_remembers_where_it_stopped(intake: Intake, db: Database) -> None:
    use_rules(db, ROTA % "round_robin", dba=["ann@example.com", "bob@example.com"])
    assignees = [incident(db, intake.record(RAW, alert(team="db")).incident_id).assignee for _ in range(3)]
    assert assignees == ["ann@example.com", "bob@example.com", "ann@example.com"]
    with db.read() as s:
        assert s.scalar(select(Group.last_assigned).where(Group.name == "dba")) == "ann@example.com"


def test_group_strategies_pass_over_a_member_deactivated_after_joining(intake: Intake, db: Database) -> None:
    use_rules(db, ROTA % "round_robin", dba=["ann@example.com", "bob@example.com", "cy@example.com"])
    deactivate(db, "bob@example.com")
    assignees = [incident(db, intake.record(RAW, alert(team="db")).incident_id).assignee for _ in range(3)]
    assert assignees == ["ann@example.com", "cy@example.com", "ann@example.com"]


def test_on_call_passes_over_who_is_on_call_but_deactivated_to_the_next_in_rota(intake: Intake, db: Database) -> None:
    use_rules(db, ROTA % "on_call", dba=["ann@example.com", "bob@example.com"])
    now = utcnow()
    with db.transaction() as s:  # bob's shift started an hour ago
        start = (now - timedelta(days=1, hours=1)).strftime("%Y-%m-%d %H:%M")
        oncall.set_rotation(s, "dba", zone="UTC", shift="1d", handoff=start, now=now)
    deactivate(db, "bob@example.com")
    assert incident(db, intake.record(RAW, alert(team="db")).incident_id).assignee == "ann@example.com"


def test_fewest_open_assigns_whoever_has_the_fewest_open_incidents(intake: Intake, db: Database) -> None:
    use_rules(db, ROTA % "fewest_open", dba=["ann@example.com", "bob@example.com"])
    with db.transaction() as s:
        for title in ("one", "two"):
            s.add(Incident(title=title, source="generic", assignee="ann@example.com"))
    first = incident(db, intake.record(RAW, alert(team="db")).incident_id)
    second = incident(db, intake.record(RAW, alert(team="db")).incident_id)
    assert (first.assignee, second.assignee) == ("bob@example.com", "bob@example.com")  # 2 vs 0, then 2 vs 1


def test_fixed_assigns_the_groups_first_member(intake: Intake, db: Database) -> None:
    use_rules(db, ROTA % "fixed", dba=["cy@example.com", "ann@example.com"])
    assert incident(db, intake.record(RAW, alert(team="db")).incident_id).assignee == "cy@example.com"


def test_on_call_assigns_whoever_the_groups_rotation_has_on_call_now(intake: Intake, db: Database) -> None:
    use_rules(db, ROTA % "on_call", dba=["ann@example.com", "bob@example.com"])
    now = utcnow()
    with db.transaction() as s:  # bob's shift started an hour ago; ann's is next
        start = (now - timedelta(days=1, hours=1)).strftime("%Y-%m-%d %H:%M")
        oncall.set_rotation(s, "dba", zone="UTC", shift="1d", handoff=start, now=now)
    first = incident(db, intake.record(RAW, alert(team="db")).incident_id)
    with db.transaction() as s:
        agents(s, "dan@example.com")
        oncall.add_override(s, "dba", "dan@example.com", now - timedelta(minutes=1), now + timedelta(hours=1),
                            by="bob@example.com", now=now)  # fmt: skip
    second = incident(db, intake.record(RAW, alert(team="db", host="other")).incident_id)
    assert (first.assignee, second.assignee) == ("bob@example.com", "dan@example.com")


def test_a_dedup_key_template_folds_differently_keyed_alerts_into_one_incident(intake: Intake, db: Database) -> None:
    use_rules(db, "rules:\n- name: One per alert name\n  set: {dedup_key: '{{ labels.alertname }}'}\n")
    first = intake.record(RAW, alert(key="db1-disk", alertname="DiskFull"))
    second = intake.record(RAW, alert(key="db2-disk", alertname="DiskFull"))
    assert second.incident_id == first.incident_id and second.occurrences == 2
    assert incident(db, first.incident_id).dedup_key == "DiskFull"


def test_title_service_tags_and_priority_from_rules_land_on_the_incident(intake: Intake, db: Database) -> None:
    use_rules(
        db,
        """priority_matrix: 5x5
rules:
- name: Storage
  when: {field: title, op: contains, value: disk}
  set: {title: '[{{ labels.host }}] {{ title }}', service: storage, tags: [disk, prod], impact: 4, urgency: 4}
""",
    )
    found = incident(db, intake.record(RAW, alert(host="db1")).incident_id)
    fields: tuple[Any, ...] = (found.title, found.service, found.tags, found.priority)
    assert fields == ("[db1] Disk full", "storage", ["disk", "prod"], 4)


def test_the_trace_is_stored_with_the_event_and_shown_on_the_incidents_timeline(intake: Intake, db: Database) -> None:
    use_rules(db, ROTA % "round_robin", dba=["ann@example.com"])
    outcome = intake.record(RAW, alert(team="db"))
    with db.read() as s:
        event = s.get(Event, outcome.event_id)
        opened = s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "opened")).one()
    assert event is not None and event.trace is not None
    assert event.trace["decision"]["assignee"] == "ann@example.com" and event.trace["evaluated"] == 1
    step = opened.data["rules"][0] if opened.data else {}
    assert step["conditions"] == ["labels.team equals 'db' (got 'db')"]
    assert step["sets"] == {"assignee": "ann@example.com", "group": "dba (round_robin)"}
    assert "assigned to ann@example.com (group dba)" in opened.summary


def test_rules_stored_before_conditions_could_nest_still_route(intake: Intake, db: Database) -> None:
    with db.transaction() as s:
        rulebook.add_rule(s, RuleSpec(id=0, name="legacy", field="labels.team", op="in", value="db, ops",
                                      set_category="database"))  # fmt: skip
    assert incident(db, intake.record(RAW, alert(team="ops")).incident_id).category == "database"
