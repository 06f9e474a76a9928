"""A rule's `kind: request`: what it makes of an event, checked when the rule is read, kept by the file's round
trip, shown by the workbench and the backtest, and applied by the real intake."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import MappingProxyType

import pytest
from click.testing import CliRunner

from hub.db import Database
from hub.domain import InboundEvent, RuleBook
from hub.intake import Intake, Raw
from rules import compile_rule, decide, rules_file
from rules.backtest import backtest
from rules.errors import RuleError
from rules.workbench import trial
from tests.rules.test_cli import invoke
from tests.rules.test_intake_routing import incident, use_rules

REQUESTS = """rules:
- name: Requests by subject
  when: {field: subject, op: starts_with, value: 'Request:'}
  set: {kind: request}
- name: Default
  set: {category: general}
"""
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ASKED = InboundEvent(source="email", title="Request: access to the wiki", requester="sam@example.org")
BROKEN = InboundEvent(source="generic", title="Disk full on db1", severity="critical")


def book(text: str = REQUESTS) -> RuleBook:
    parsed = rules_file.parse_file(text)
    return RuleBook(1, tuple(parsed.rules), settings=MappingProxyType(parsed.settings))


def test_a_rule_makes_a_request_of_what_it_matches_and_leaves_the_rest_to_the_event() -> None:
    rules = [compile_rule(spec) for spec in book().rules]
    assert decide(ASKED, rules).kind_of(ASKED) == "request"
    assert decide(BROKEN, rules).kind_of(BROKEN) == "incident"
    assert decide(ASKED, rules).trace[0].sets == {"kind": "request"}


def test_a_rules_kind_wins_over_what_the_event_said() -> None:
    rules = [compile_rule(spec) for spec in book(REQUESTS.replace("kind: request", "kind: incident")).rules]
    said = InboundEvent(source="web", title="Request: the printer is broken", kind="request")
    assert decide(said, rules).kind_of(said) == "incident"


def test_a_rule_tests_what_the_event_says_it_is() -> None:
    spec = rules_file.parse_file("""rules:
- name: Requests to the service desk group
  when: {field: kind, op: equals, value: request}
  set: {assignee: servicedesk}
""").rules
    rules = [compile_rule(rule) for rule in spec]
    asked = InboundEvent(source="web", title="Access to the wiki", kind="request")
    assert decide(asked, rules).assignee == "servicedesk"
    assert decide(BROKEN, rules).assignee is None


def test_a_kind_there_is_not_is_refused_where_it_is_written() -> None:
    with pytest.raises(RuleError, match=r"kind is incident or request, not 'task'"):
        rules_file.parse_file(REQUESTS.replace("kind: request", "kind: task"))


def test_the_file_keeps_the_kind_through_export_and_import() -> None:
    parsed = rules_file.parse(REQUESTS)
    assert parsed[0].effects() == {"kind": "request"}
    assert rules_file.parse(rules_file.export(parsed))[0].effects() == {"kind": "request"}


def test_the_workbench_says_what_the_incident_would_be() -> None:
    assert dict(trial(book(), ASKED, NOON).incident)["kind"] == "request"
    assert dict(trial(book(), BROKEN, NOON).incident)["kind"] == "incident"


def test_the_backtest_counts_a_new_kind_as_another_change() -> None:
    report = backtest(book(REQUESTS.replace("kind: request", "category: asked")), book(), [(1, ASKED, NOON)])
    assert report.changed[0].changes["kind"] == ("-", "request")


def test_the_intake_opens_a_request_a_rule_makes_and_an_alert_stays_an_incident(intake: Intake, db: Database) -> None:
    use_rules(db, REQUESTS)
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Request: wiki\r\n\r\nplease")
    assert incident(db, intake.record(raw, ASKED).incident_id).kind == "request"
    alert = Raw(source="generic", content_type="application/json", body=b"{}")
    assert incident(db, intake.record(alert, BROKEN).incident_id).kind == "incident"


def test_rules_test_checks_the_kind_a_rule_sets(runner: CliRunner) -> None:
    invoke(runner, "rules", "add", "--name", "Requests", "--field", "subject", "--op", "starts_with",
           "--value", "Request:", "--kind", "request")  # fmt: skip
    event = json.dumps({"title": "Request: a laptop"})
    assert "set kind=request" in invoke(runner, "rules", "list")
    invoke(runner, "rules", "test", "--expect", "kind=request", input=event)
    invoke(runner, "rules", "test", "--expect", "kind=incident", input=json.dumps({"title": "Disk full"}))
