"""Stored events read back as typed events for a backtest, from a real SQLite database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import MappingProxyType

from hub import cis, groups, over_rules, request_types
from hub.accounts import IntegrationKeys, configure_integration, create_integration
from hub.catalogue import add_service
from hub.db import Database
from hub.domain import InboundEvent, RuleBook
from hub.intake import Intake, Raw
from hub.pending_requests import Pending
from hub.rulebook import load
from ingest.asked import event_of
from ingest.logged import normalise
from ingest.replay import recent_events
from ingest.webhooks import kinds
from rules import rules_file
from rules.backtest import BacktestReport, backtest
from tests.staff import agents


def test_stored_webhook_and_email_events_are_read_back_and_backtested(intake: Intake, db: Database) -> None:
    with db.transaction() as s:
        integration_id = create_integration(s, kind="generic", name="prom")[0].id
    body = {"title": "Disk full on db1", "severity": "critical", "labels": {"team": "db"}}
    intake.record(Raw("generic", "application/json", json.dumps(body).encode(), integration_id),
                  InboundEvent(source="generic", title="Disk full on db1", severity="critical",
                               labels=MappingProxyType({"team": "db"}), integration="prom"))  # fmt: skip
    mail = b"From: ann@example.com\r\nTo: helpdesk@localhost\r\nSubject: Printer on fire\r\n\r\nHelp.\r\n"
    intake.record(Raw("email", "message/rfc822", mail),
                  InboundEvent(source="email", title="Printer on fire", requester="ann@example.com"))  # fmt: skip
    with db.read() as s:
        replayed = recent_events(s, limit=10)
        live = load(s)
    assert replayed.skipped == 0
    assert [(r.event.source, r.event.title, dict(r.event.labels)) for r in replayed.events] == [
        ("generic", "Disk full on db1", {"team": "db"}),
        ("email", "Printer on fire", {}),
    ]
    candidate = rules_file.parse_file("rules:\n- name: DB\n  when: {field: labels.team, value: db}\n"
                                      "  set: {category: database}\n")  # fmt: skip
    report = backtest(live, RuleBook(0, tuple(candidate.rules)),
                      [(r.event_id, r.event, r.received_at) for r in replayed.events])  # fmt: skip
    assert report.counts["recategorised"] == 2  # db: general -> database; the email: general -> none


def _mapped_alert(intake: Intake, db: Database, *, kept: bool) -> InboundEvent:
    """An alert of a generic integration, read through its mapping as the events endpoint reads it; stored naming
    that mapping (`kept`), or as events stored before mappings were kept."""
    with db.transaction() as s:
        create_integration(s, kind="generic", name="tool")
        configure_integration(s, "tool", mapping={"title": "alert.text", "labels": "{team: alert.team}"})
    ref = IntegrationKeys(db).find("tool")
    assert ref is not None
    body = {"alert": {"text": "Disk full on db1", "team": "db"}}
    [event] = kinds.normalise("generic", body, integration="tool", mapping_spec=ref.mapping)
    mapping_id = ref.mapping_id if kept else None
    intake.record(Raw("generic", "application/json", json.dumps(body).encode(), ref.id, mapping_id), event)
    with db.transaction() as s:
        configure_integration(s, "tool", mapping={"title": "summary"})  # the tool's next version, say
    return event


def test_an_event_is_read_back_through_the_mapping_that_read_it_after_the_mapping_changed(
    stored_intake: Intake, database: Database
) -> None:
    event = _mapped_alert(stored_intake, database, kept=True)
    with database.read() as s:
        replayed = recent_events(s, limit=10)
    assert replayed.skipped == 0
    assert [(r.event.title, dict(r.event.labels)) for r in replayed.events] == [(event.title, {"team": "db"})]


def test_an_event_stored_before_mappings_were_kept_is_read_through_the_current_mapping(
    stored_intake: Intake, database: Database
) -> None:
    _mapped_alert(stored_intake, database, kept=False)
    with database.read() as s:
        replayed = recent_events(s, limit=10)
    assert (replayed.events, replayed.skipped) == ([], 1)  # the new mapping finds no `summary` in it, as before


def test_incidents_logged_by_hand_are_read_back_for_the_rules_too(intake: Intake, db: Database) -> None:
    body = b'{"title": "Cannot print on floor 3", "channel": "walk-in", "priority": 2}'
    intake.record(Raw("desk", "application/json", body), normalise(json.loads(body), by="agent@example.com"))
    with db.read() as s:
        replayed = recent_events(s, limit=10)
    assert replayed.skipped == 0
    [event] = [r.event for r in replayed.events]
    assert (event.source, event.title, event.labels["channel"]) == ("desk", "Cannot print on floor 3", "walk-in")


def test_emails_are_read_back_with_their_senders_judged_as_the_intake_judged_them(intake: Intake, db: Database) -> None:
    mail = b"Authentication-Results: mx.example.com; dmarc=fail header.from=example.com\r\nFrom: ceo@example.com\r\n"
    intake.record(Raw("email", "message/rfc822", mail + b"Subject: New laptop\r\n\r\nTo my home.\r\n"),
                  InboundEvent(source="email", title="New laptop"))  # fmt: skip
    with db.read() as s:
        judged = recent_events(s, limit=10, authserv_id="mx.example.com").events
        unjudged = recent_events(s, limit=10).events
    assert [r.event.sender_unverified for r in judged + unjudged] == [True, False]


def test_help_centre_requests_are_read_back_with_their_kind_and_request_type(intake: Intake, db: Database) -> None:
    asked_at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    request = Pending(id=7, email="ann@example.com", subject="Laptop for Bo", body="Starts Monday.", service=None,
                      asked_at=asked_at, confirmed_at=asked_at, sent_at=None, incident_id=None, kind="request",
                      request_type="New laptop", answers=(("Model", "14 inch"),))  # fmt: skip
    intake.record(*event_of(request))
    with db.read() as s:
        replayed = recent_events(s, limit=10)
        live = load(s)
    assert replayed.skipped == 0
    [event] = [r.event for r in replayed.events]
    assert (event.source, event.kind, event.request_type) == ("web", "request", "New laptop")
    assert event == event_of(request)[1]
    candidate = rules_file.parse_file("rules:\n- name: Laptops\n  when: {field: request_type, value: New laptop}\n"
                                      "  set: {category: hardware}\n")  # fmt: skip
    report = backtest(live, RuleBook(0, tuple(candidate.rules)),
                      [(r.event_id, r.event, r.received_at) for r in replayed.events])  # fmt: skip
    assert report.counts["recategorised"] == 1


def test_help_centre_requests_stored_before_the_form_asked_the_kind_are_read_back_as_incidents(
    intake: Intake, db: Database
) -> None:
    body = (b'{"request": 3, "email": "ann@example.com", "subject": "Printer jams", "body": "Floor 3.", "service": '
            b'null, "asked_at": "2026-10-01T08:00:00+00:00", "confirmed_at": "2026-10-01T08:05:00+00:00"}')  # fmt: skip
    intake.record(Raw("web", "application/json", body), InboundEvent(source="web", title="Printer jams"))
    with db.read() as s:
        [replayed] = recent_events(s, limit=10).events
    event = replayed.event
    assert (event.title, event.kind, event.request_type) == ("Printer jams", "incident", None)


def _vpn_request(intake: Intake, type_name: str) -> None:
    """A help-centre request of the type `type_name`, sent through the intake."""
    asked_at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    intake.record(*event_of(Pending(id=1, email="ann@example.com", subject="VPN for Bo", body="", service=None,
                                    asked_at=asked_at, confirmed_at=asked_at, sent_at=None, incident_id=None,
                                    kind="request", request_type=type_name)))  # fmt: skip


def _backtested(db: Database, candidate_yaml: str) -> tuple[list[InboundEvent], BacktestReport]:
    with db.read() as s:
        replayed = recent_events(s, limit=10).events
        live, known = load(s), over_rules.read(s.connection())
    candidate = RuleBook(0, tuple(rules_file.parse_file(candidate_yaml).rules))
    events = [(r.event_id, r.event, r.received_at) for r in replayed]
    return [r.event for r in replayed], backtest(live, candidate, events, known=known)


def test_a_backtest_lays_a_request_types_group_over_catch_alls_and_a_specific_rule_still_wins(
    intake: Intake, db: Database
) -> None:
    with db.transaction() as session:
        groups.save_group(session, "network", agents(session, "ann@example.com"))
        request_types.add(session, name="VPN access", summary="Remote access", category="remote", group="network")
    _vpn_request(intake, "VPN access")
    _, report = _backtested(db, "rules:\n- name: VPN\n  when: {field: request_type, value: VPN access}\n"
                                "  set: {assignee: dba@example.com}\n")  # fmt: skip
    [change] = report.changed
    assert change.changes["assignee"] == ("network", "dba@example.com")
    assert change.live_defaults == ("category remote and assignee network from request type VPN access",)
    assert change.defaults == ("category remote from request type VPN access",)


def _payroll_alert(intake: Intake, db: Database, labels: dict[str, str], ci: str | None = None) -> None:
    """An alert with `labels` through a generic integration, with the service payroll looked after by hr-it (and
    the CI `ci` supporting it)."""
    with db.transaction() as session:
        integration_id = create_integration(session, kind="generic", name="prom")[0].id
        add_service(session, name="payroll", owner_group="hr-it")
        if ci:
            cis.create(session, cis.CiFields(name=ci, kind="server", service="payroll"))
    body = {"title": "Payslips late", "labels": labels}
    intake.record(Raw("generic", "application/json", json.dumps(body).encode(), integration_id),
                  InboundEvent(source="generic", title="Payslips late", labels=MappingProxyType(labels),
                               integration="prom"))  # fmt: skip


def test_a_backtest_gives_a_past_alert_to_its_services_owner_group_and_a_specific_rule_still_wins(
    intake: Intake, db: Database
) -> None:
    _payroll_alert(intake, db, {"service": "payroll"})
    _, report = _backtested(db, "rules:\n- name: Pay\n  when: {field: labels.service, value: payroll}\n"
                                "  set: {assignee: dba@example.com}\n")  # fmt: skip
    [change] = report.changed
    assert change.changes["assignee"] == ("hr-it", "dba@example.com")
    assert (change.live_defaults, change.defaults) == (("assignee hr-it from service payroll",), ())


def test_a_backtest_finds_the_service_of_the_ci_an_alert_names_as_the_intake_does(intake: Intake, db: Database) -> None:
    _payroll_alert(intake, db, {"host": "pay1.example.com"}, ci="pay1")
    _, report = _backtested(db, "rules:\n- name: Servers\n  when: {field: labels.host, op: exists}\n"
                                "  set: {assignee: dba@example.com}\n")  # fmt: skip
    [change] = report.changed
    assert change.changes["assignee"] == ("hr-it", "dba@example.com")
    assert change.live_defaults == ("assignee hr-it from service payroll",)


def test_a_past_request_is_replayed_under_its_types_new_name_so_the_renamed_rule_matches_it(
    intake: Intake, db: Database
) -> None:
    with db.transaction() as session:
        request_types.add(session, name="VPN", summary="Remote access")
    _vpn_request(intake, "VPN")
    with db.transaction() as session:
        request_types.change(session, "VPN", new_name="VPN access")
    events, report = _backtested(db, "rules:\n- name: VPN\n  when: {field: request_type, value: VPN access}\n"
                                     "  set: {category: remote}\n")  # fmt: skip
    assert [event.request_type for event in events] == ["VPN access"]
    assert report.counts["recategorised"] == 1
