"""The rules workbench pages: list and change rules, try a draft (test, preview, backtest) without saving it, save
it as a version with an audit entry, and read, compare and restore versions."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub import groups, request_types, rulebook
from hub.accounts import configure_integration
from hub.catalogue import add_service
from hub.db import Database
from hub.intake import Intake
from hub.models import AuditEntry, Rule, RuleVersion
from hub.pending_requests import Pending
from ingest.asked import event_of
from tests.docs import fenced
from tests.staff import agents
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, count, csrf_token, log_in

DB_WHEN = "{field: labels.team, op: equals, value: db}"
DB_SETS = "category: database\nassignee: dba@example.com\n"


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def _post(client: FlaskClient, url: str, page: str | None = None, **fields: Any) -> TestResponse:
    """Post a form the way a browser does: with the CSRF token of the page it is on."""
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **fields})


def _draft(client: FlaskClient, do: str, url: str = "/rules/new", **fields: Any) -> TestResponse:
    form: dict[str, Any] = {"name": "DB to the DBAs", "when": DB_WHEN, "sets": DB_SETS, "enabled": "y",
                               "shape": "event", "limit": "1000", "do": do}  # fmt: skip
    return _post(client, url, **(form | fields))


def _text(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def _rule_names(db: Database) -> list[str]:
    with db.read() as session:
        return [spec.name for spec in rulebook.load_rules(session)]


def _audit(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as session:
        return [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# -- the list ----------------------------------------------------------------------------------------------------------


def test_the_list_shows_each_rule_in_order_with_what_it_tests_and_sets(admin: FlaskClient) -> None:
    page = _text(admin.get("/rules"))
    assert "Default: everything goes to the service desk" in page
    assert "source exists" in page and "category=general; assignee=service-desk" in page
    assert "continue" in page and "enabled" in page and "New rule" in page


def test_an_agent_reads_the_rules_but_is_offered_no_changes(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(email="agent@example.com", role="agent"))
    page = _text(client.get("/rules"))
    assert "Default: everything goes to the service desk" in page
    assert "New rule" not in page and "Disable" not in page and "/rules/1/edit" not in page


def test_moving_a_rule_up_puts_it_first_and_is_versioned_and_audited(admin: FlaskClient, db: Database) -> None:
    _draft(admin, "save")
    _post(admin, "/rules/1/move", page="/rules", direction="up")
    assert _rule_names(db) == ["Default: everything goes to the service desk", "DB to the DBAs"]
    assert ("root@example.com", "rules.move", "rule 1") in _audit(db)
    with db.read() as session:
        assert "moved rule" in rulebook.versions(session)[-1].summary


def test_disabling_a_rule_keeps_it_listed_as_disabled(admin: FlaskClient, db: Database) -> None:
    response = _post(admin, "/rules/1/toggle", page="/rules", enabled="0")
    assert response.status_code == 302
    with db.read() as session:
        assert session.get(Rule, 1).enabled is False  # type: ignore[union-attr]
    assert "Enable" in _text(admin.get("/rules"))
    assert ("root@example.com", "rules.disable", "rule 1") in _audit(db)


def test_deleting_a_rule_removes_it_and_is_audited(admin: FlaskClient, db: Database) -> None:
    _post(admin, "/rules/1/delete", page="/rules")
    assert _rule_names(db) == []
    assert ("root@example.com", "rules.delete", "rule 1") in _audit(db)


def test_a_change_to_a_rule_that_is_gone_says_so(admin: FlaskClient) -> None:
    response = _post(admin, "/rules/42/delete", page="/rules")
    assert "there is no rule 42" in _text(admin.get(response.headers["Location"]))


def _failing_title(admin: FlaskClient, raise_incident: Callable[..., str]) -> str:
    """Save a rule whose title template fails on the next DB alert, and raise one: its incident's ref."""
    _draft(admin, "save", sets="title: '{{ labels.owner.name }}'\n")
    return raise_incident("Disk full on db1", labels={"team": "db"})


def test_a_rules_template_failing_at_run_time_is_said_on_the_list_with_its_incident_and_the_fix(
    admin: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = _failing_title(admin, raise_incident)
    page = _text(admin.get("/rules"))
    assert "Its template as it is now failed on 1 of the newest 1,000 events" in page and f">{ref}</a>" in page
    assert "has no attribute 'owner'" in page and "Preview templates on that event" in page


def test_the_editor_of_a_rule_whose_template_failed_offers_that_event_to_preview_on(
    admin: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    _failing_title(admin, raise_incident)
    page = _text(admin.get("/rules/2/edit"))
    assert "Its template as it is now failed on 1" in page and re.search(r'<option selected value="1">#1 ', page)


# -- saving --------------------------------------------------------------------------------------------------------


def test_saving_a_new_rule_puts_it_first_as_a_new_version_with_an_audit_entry(admin: FlaskClient, db: Database) -> None:
    response = _draft(admin, "save")
    assert response.status_code == 302 and response.headers["Location"].endswith("/rules")
    assert _rule_names(db) == ["DB to the DBAs", "Default: everything goes to the service desk"]
    with db.read() as session:
        newest = rulebook.versions(session)[-1]
    assert (newest.author, newest.summary) == ("root@example.com", "added rule 'DB to the DBAs'")
    assert ("root@example.com", "rules.save", "rule 2") in _audit(db)
    assert f"as version {newest.number}" in _text(admin.get("/rules"))


def test_a_new_rule_with_only_a_name_is_refused_not_saved_as_a_rule_for_every_event(
    admin: FlaskClient, db: Database
) -> None:
    before = _rule_names(db)
    fields = {"name": "Just a name", "when": "", "enabled": "y", "shape": "event", "limit": "1000", "do": "save"}
    page = _text(_post(admin, "/rules/new", **fields | {"sets": _new_rule_sets(admin)}))
    assert "Not saved" in page and _rule_names(db) == before


def _new_rule_sets(client: FlaskClient) -> str:
    """What the new rule page's Set box holds before anything is typed."""
    page = client.get("/rules/new").get_data(as_text=True)
    found = re.search(r'<textarea[^>]*id="sets"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1)).strip()


def test_editing_a_rule_keeps_its_id_and_place_and_records_the_change(admin: FlaskClient, db: Database) -> None:
    page = _text(admin.get("/rules/1/edit"))
    assert "field: source" in page and "op: exists" in page and "assignee: service-desk" in page
    response = _draft(admin, "save", url="/rules/1/edit", name="Everything else", when="", sets="category: general\n")
    assert response.status_code == 302
    with db.read() as session:
        [spec] = rulebook.load_rules(session)
        newest = rulebook.versions(session)[-1]
    assert (spec.id, spec.name, dict(spec.actions)) == (1, "Everything else", {"category": "general"})
    assert newest.summary == "changed rule 'Everything else'"
    assert ("root@example.com", "rules.save", "rule 1") in _audit(db)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"when": "any:\n- {field: title, op: regex, value: 'disk(full'}\n"},
         "when, line 2: when.any[0].value: invalid regular expression 'disk(full'"),
        ({"when": "all:\n- {field: severity, value: critical}\n- {field: colour, value: red}\n"},
         "when, line 3: when.all[1].field: unknown field 'colour'"),
        ({"sets": "category: database\ntitle: '{{ title'\n"}, "set, line 2: set.title: bad template"),
        ({"sets": "category: database\ncolour: red\n"}, "set, line 1: set: unknown action(s) colour"),
        ({"name": ""}, "name: every rule needs a name"),
    ],
)  # fmt: skip
def test_a_draft_that_does_not_validate_is_refused_naming_the_problem_and_its_line(
    admin: FlaskClient, db: Database, fields: dict[str, str], named: str
) -> None:
    response = _draft(admin, "save", **fields)
    assert response.status_code == 422
    assert named in _text(response)
    assert "Not saved" in _text(response)
    assert _rule_names(db) == ["Default: everything goes to the service desk"]
    assert count(db, RuleVersion) == 0


def test_the_form_keeps_what_was_typed_when_it_is_refused(admin: FlaskClient) -> None:
    page = _text(_draft(admin, "save", when="{field: colour, value: red}"))
    assert "{field: colour, value: red}" in page and 'value="DB to the DBAs"' in page


# -- trying a draft ------------------------------------------------------------------------------------------------


def test_testing_the_draft_on_a_stored_event_shows_trace_and_incident_without_saving(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full on db1", labels={"team": "db"})
    response = _draft(admin, "test", event_id="1")
    page = _text(response)
    assert response.status_code == 200
    assert "Test: #1" in page and "Disk full on db1" in page
    assert "DB to the DBAs: matched" in page and "because labels.team equals 'db'" in page
    assert "assignee = dba@example.com" in page
    assert "<dt>category</dt><dd>database</dd>" in page and "<dt>assignee</dt><dd>dba@example.com</dd>" in page
    assert _rule_names(db) == ["Default: everything goes to the service desk"] and count(db, RuleVersion) == 0


def test_testing_the_draft_on_a_stored_help_centre_request_matches_its_request_type(
    admin: FlaskClient, intake: Intake
) -> None:
    asked_at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    intake.record(*event_of(Pending(id=1, email="ann@example.com", subject="Laptop for Bo", body="Starts Monday.",
                                    service=None, asked_at=asked_at, confirmed_at=asked_at, sent_at=None,
                                    incident_id=None, kind="request", request_type="New laptop")))  # fmt: skip
    page = _text(_draft(admin, "test", event_id="1", name="Laptops", when="{field: request_type, value: New laptop}"))
    assert "Test: #1" in page and "Laptop for Bo" in page
    assert "Laptops: matched" in page and "because request_type equals 'New laptop'" in page
    assert "<dt>category</dt><dd>database</dd>" in page


def test_testing_the_docs_sample_of_a_request_type_shows_its_defaults_laid_over_the_catch_all_as_the_intake_does(
    admin: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        groups.save_group(session, "hardware", agents(session, "ann@example.com"))
        request_types.add(session, name="New laptop", summary="A laptop", category="hardware", group="hardware")
    [sample] = fenced("docs/requests.md", "Routing", "json")
    page = _text(_draft(admin, "test", payload=sample))
    assert "<dt>assignee</dt><dd>hardware</dd>" in page
    assert ("Defaults over catch-all rules, as the intake applies them: category hardware and assignee hardware "
            "from request type New laptop" in page)  # fmt: skip
    assert "1 matched." in page  # the catch-all; the defaults are no rule


def test_testing_an_event_naming_a_service_gives_it_to_the_services_owner_group_as_the_intake_does(
    admin: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        add_service(session, name="payroll", owner_group="hr-it")
    page = _text(_draft(admin, "test", payload='{"title": "Payslips late", "labels": {"service": "payroll"}}'))
    assert "<dt>assignee</dt><dd>hr-it</dd>" in page
    assert "as the intake applies them: assignee hr-it from service payroll" in page


def test_testing_a_pasted_payload_of_an_integration_kind(admin: FlaskClient) -> None:
    payload = '{"routing_key": "x", "event_action": "trigger", "payload": {"summary": "DB down", "source": "db1", ' \
              '"severity": "critical", "custom_details": {"team": "db"}}}'  # fmt: skip
    page = _text(_draft(admin, "test", shape="pagerduty", payload=payload, when="{field: severity, value: critical}"))
    assert "Test: the pasted pagerduty payload" in page
    assert "<dt>title</dt><dd>DB down</dd>" in page and "<dt>category</dt><dd>database</dd>" in page


def test_testing_with_no_event_says_what_to_do(admin: FlaskClient) -> None:
    response = _draft(admin, "test")
    assert response.status_code == 422
    assert "pick a stored event or paste a payload" in _text(response)


def test_a_malformed_pasted_payload_is_named(admin: FlaskClient) -> None:
    assert "the payload is not valid JSON" in _text(_draft(admin, "test", payload="{title"))


def test_a_pasted_payload_nested_thousands_deep_is_named(admin: FlaskClient) -> None:
    page = _text(_draft(admin, "test", payload="[" * 50_000 + "]" * 50_000))
    assert "the payload nests objects and arrays more than 64 levels deep" in page


def test_template_preview_renders_the_drafts_title_and_dedup_key_on_the_event(
    admin: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full on db1", labels={"team": "db", "env": "prod"})
    sets = "title: '[{{ labels.env|upper }}] {{ title }}'\ndedup_key: '{{ labels.team }}-{{ nope.x }}'\n"
    page = _text(_draft(admin, "preview", sets=sets, event_id="1"))
    assert "[PROD] Disk full on db1" in page
    assert "template '{{ labels.team }}-{{ nope.x }}' failed" in page
    assert "What a template can read" in page


def test_backtest_counts_and_lists_the_events_the_draft_would_change_without_saving(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full on db1", labels={"team": "db"})
    raise_incident("Printer jam", labels={"team": "office"})
    page = _text(_draft(admin, "backtest"))
    assert "Backtest: 2 stored event(s), 1 treated differently" in page
    assert "#1" in page and "Printer jam" not in page.split("Backtest:")[1]
    assert "category: general → database" in page and "assignee: service-desk → dba@example.com" in page
    assert _rule_names(db) == ["Default: everything goes to the service desk"] and count(db, RuleVersion) == 0


def test_backtest_of_a_group_turn_says_the_turn_is_held_still(
    admin: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    for email in ("ann@example.com", "bob@example.com"):
        make_user(email=email, role="agent")
    with db.transaction() as session:
        groups.save_group(session, "dba", ["ann@example.com", "bob@example.com"])
    raise_incident("Disk full on db1", labels={"team": "db"})
    page = _text(_draft(admin, "backtest", sets="group: dba\nstrategy: round_robin\n"))
    assert "chosen by a group's strategy (dba) is shown as the person it would pick now" in page


def test_backtest_after_a_mapping_change_still_replays_the_events_the_old_mapping_read(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str], integration: IntegrationCredentials
) -> None:
    raise_incident("Disk full on db1", labels={"team": "db"})
    with db.transaction() as session:
        configure_integration(session, integration.name, mapping={"title": "alert.text"})
    page = _text(_draft(admin, "backtest"))
    assert "Backtest: 1 stored event(s), 1 treated differently" in page and "could not be read back" not in page


def test_the_stored_event_picker_still_lists_events_from_before_a_mapping_change(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str], integration: IntegrationCredentials
) -> None:
    raise_incident("Disk full on db1", labels={"team": "db"})
    with db.transaction() as session:
        configure_integration(session, integration.name, mapping={"title": "alert.text"})
    assert "Disk full on db1" in admin.get("/rules/new").get_data(as_text=True)


def test_backtest_reads_only_the_last_n_events(admin: FlaskClient, raise_incident: Callable[..., str]) -> None:
    raise_incident("Disk full on db1", labels={"team": "db"})
    raise_incident("Printer jam", labels={"team": "office"})
    assert "Backtest: 1 stored event(s), 0 treated differently" in _text(_draft(admin, "backtest", limit="1"))


# -- versions ------------------------------------------------------------------------------------------------------


def test_versions_list_author_and_a_readable_diff(admin: FlaskClient) -> None:
    _draft(admin, "save")
    page = _text(admin.get("/rules/versions"))
    assert "root@example.com" in page and "added rule 'DB to the DBAs'" in page and "(current)" in page
    diff = _text(admin.get("/rules/versions/2"))
    assert '<span class="diff-add">+- name: DB to the DBAs</span>' in diff
    assert "Restore version 2" not in diff  # it is the current one
    assert "Restore version 1" in _text(admin.get("/rules/versions/1"))


def test_two_versions_can_be_compared(admin: FlaskClient) -> None:
    _draft(admin, "save")
    _post(admin, "/rules/1/delete", page="/rules")
    page = _text(admin.get("/rules/versions/3?against=1"))
    assert "Changes from version 1" in page and "+- name: DB to the DBAs" in page
    assert "-- name: 'Default: everything goes to the service desk'" in page


def test_restoring_a_version_brings_its_rules_back_as_a_new_version(admin: FlaskClient, db: Database) -> None:
    _post(admin, "/rules/1/delete", page="/rules")
    assert _rule_names(db) == []
    response = _post(admin, "/rules/versions/1/restore", page="/rules/versions/1")
    assert response.status_code == 302
    assert _rule_names(db) == ["Default: everything goes to the service desk"]
    with db.read() as session:
        assert rulebook.versions(session)[-1].summary == "restored version 1"
    assert ("root@example.com", "rules.restore", "version 1") in _audit(db)


def test_restoring_a_version_that_does_not_exist_says_so(admin: FlaskClient) -> None:
    response = _post(admin, "/rules/versions/9/restore", page="/rules")
    assert "there is no rule version 9" in _text(admin.get(response.headers["Location"]))
