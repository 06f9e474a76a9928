"""Backtest: candidate rules against the live ones over stored events, counting each kind of change."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType

from hub.domain import GroupState, InboundEvent, RoutingState, RuleBook
from rules import rules_file
from rules.backtest import backtest

AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LIVE = """rules:
- name: DB
  when: {field: labels.team, value: db}
  set: {category: database, assignee: dba@example.com}
- name: Default
  set: {category: general, assignee: service-desk}
"""


def book(text: str) -> RuleBook:
    parsed = rules_file.parse_file(text)
    return RuleBook(1, tuple(parsed.rules), settings=MappingProxyType(parsed.settings))


def alert(i: int, team: str) -> InboundEvent:
    return InboundEvent(
        source="generic", title=f"alert {i}", severity="warning", labels=MappingProxyType({"team": team})
    )


def events(*teams: str) -> list[tuple[int, InboundEvent, datetime]]:
    return [(i, alert(i, team), AT) for i, team in enumerate(teams, start=1)]


def test_identical_rules_change_nothing() -> None:
    report = backtest(book(LIVE), book(LIVE), events("db", "web"))
    assert report.events == 2 and report.changed == () and report.unchanged == 2


def test_a_new_rule_ahead_of_the_rest_recategorises_and_reassigns_what_it_matches() -> None:
    candidate = LIVE.replace("rules:\n", "rules:\n- name: Web\n  when: {field: labels.team, value: web}\n"
                             "  set: {category: web, assignee: web@example.com}\n")  # fmt: skip
    report = backtest(book(LIVE), book(candidate), events("db", "web", "web"))
    assert (report.counts["recategorised"], report.counts["reassigned"]) == (2, 2)
    assert [c.event_id for c in report.changed] == [2, 3]
    assert report.changed[0].changes["category"] == ("general", "web")


def test_impact_and_urgency_reprioritise() -> None:
    candidate = LIVE.replace("{category: database, assignee: dba@example.com}",
                             "{category: database, assignee: dba@example.com, impact: 1, urgency: 1}")  # fmt: skip
    report = backtest(book(LIVE), book(candidate), events("db", "web"))
    assert report.counts["reprioritised"] == 1 and report.changed[0].changes["priority"] == ("P3", "P1")


def test_a_suppress_rule_is_counted_as_suppressed_and_removing_it_as_unsuppressed() -> None:
    suppressing = LIVE.replace("rules:\n", "rules:\n- name: Quiet\n  when: {field: labels.team, value: web}\n"
                               "  set: {suppress: true}\n  stop: true\n")  # fmt: skip
    assert backtest(book(LIVE), book(suppressing), events("web")).counts["suppressed"] == 1
    assert backtest(book(suppressing), book(LIVE), events("web")).counts["unsuppressed"] == 1


def test_other_field_changes_are_counted_as_other() -> None:
    tagged = LIVE.replace("{category: general, assignee: service-desk}",
                          "{category: general, assignee: service-desk, tags: [triage]}")  # fmt: skip
    report = backtest(book(LIVE), book(tagged), events("web"))
    assert report.counts["other"] == 1 and report.changed[0].changes["tags"] == ("-", "triage")


def test_an_assignee_a_groups_turn_chose_names_the_group_whose_turn_is_held_still() -> None:
    candidate = LIVE.replace("assignee: dba@example.com", "group: dba, strategy: round_robin")
    state = RoutingState(MappingProxyType({"dba": GroupState(("ann@x", "bob@x"), last_assigned="bob@x")}))
    report = backtest(book(LIVE), book(candidate), events("db", "db", "web"), state)
    assert [c.changes["assignee"] for c in report.changed] == [("dba@example.com", "ann@x")] * 2
    assert report.turned == ("dba",)


def test_a_change_no_groups_turn_chose_names_no_group() -> None:
    candidate = LIVE.replace("assignee: dba@example.com", "assignee: dbteam@example.com")
    assert backtest(book(LIVE), book(candidate), events("db")).turned == ()
