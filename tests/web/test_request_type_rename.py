"""Renaming a request type keeps what names it: rules that test it by its whole name are rewritten in the same
transaction (a rules version and an audit entry say so), pattern tests are listed instead, and requests, which name
it by id, follow by themselves. The command line, the page and the API each say what was rewritten."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import condition_values, request_types, rulebook
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.errors import BadField
from hub.models import AuditEntry, Incident, Rule
from tests.docs import fenced, run_as_printed
from tests.rules.test_intake_routing import use_rules
from tests.web.helpers import Login, csrf_token, log_in, token_headers
from tests.web.test_ask_desk import confirmation_link, press_send
from tests.web.test_request_catalogue_help import ANSWERS, ask_for, laptop

RULES = """rules:
- name: Laptops to the hardware desk
  when: {field: request_type, op: equals, value: new laptop}
  set: {assignee: dev-desk}
- name: Kit
  when: {field: request_type, op: in, value: [VPN access, New laptop]}
  set: {tags: [kit]}
- name: Laptops by pattern
  when: {field: request_type, op: regex, value: "^new laptop$"}
  set: {tags: [pattern]}
- name: Anything new
  when: {field: request_type, op: starts_with, value: new}
  set: {tags: [new]}
- name: Default
  set: {assignee: servicedesk, category: general}
"""
MEMBERS = {"dev-desk": ["dev@example.com"], "servicedesk": ["desk@example.com"]}


def renamed(db: Database, new: str = "Developer laptop") -> request_types.Changed:
    with db.transaction() as session:
        return request_types.change(session, "New laptop", new_name=new, author="root@example.com")


def conditions(db: Database) -> dict[str, object]:
    with db.read() as session:
        return {row.name: row.condition for row in session.scalars(select(Rule))}


def test_a_rule_on_the_old_name_routes_a_request_asked_before_the_rename_and_confirmed_after(
    client: FlaskClient, db: Database
) -> None:
    shown = laptop(db)
    use_rules(db, RULES, **MEMBERS)
    ask_for(client, shown, **ANSWERS)
    renamed(db)
    press_send(client, confirmation_link(db, "ann@example.org"))
    with db.read() as session:
        incident = session.scalars(select(Incident)).one()
    assert (incident.assignee, incident.request_type_id, incident.category) == ("dev-desk", shown.id, "hardware")


def test_whole_name_tests_are_rewritten_and_other_values_kept() -> None:
    condition = {"all": [{"field": "request_type", "op": "in", "value": ["VPN access", "New laptop"]},
                         {"not": {"field": "request_type", "op": "not_equals", "value": " new laptop "}},
                         {"field": "title", "op": "equals", "value": "New laptop"}]}  # fmt: skip
    assert condition_values.renamed(condition, request_types.RULE_FIELDS, "New laptop", "Laptop") == {
        "all": [{"field": "request_type", "op": "in", "value": ["VPN access", "Laptop"]},
                {"not": {"field": "request_type", "op": "not_equals", "value": "Laptop"}},
                {"field": "title", "op": "equals", "value": "New laptop"}]}  # fmt: skip


def test_a_rename_rewrites_the_rules_as_one_version_and_audits_it(db: Database) -> None:
    laptop(db)
    use_rules(db, RULES, **MEMBERS)
    done = renamed(db)
    assert done.rules is not None and done.rules.rewritten == ("Laptops to the hardware desk", "Kit")
    assert conditions(db)["Kit"] == {"field": "request_type", "op": "in", "value": ["VPN access", "Developer laptop"]}
    with db.read() as session:
        newest = rulebook.versions(session)[-1]
        assert (newest.author, newest.summary) == ("root@example.com", "request type 'New laptop' renamed to "
                                                                        "'Developer laptop'")  # fmt: skip


def test_a_pattern_that_answers_the_new_name_otherwise_is_listed_not_rewritten(db: Database) -> None:
    laptop(db)
    use_rules(db, RULES, **MEMBERS)
    before = conditions(db)
    done = renamed(db)
    assert done.rules is not None and done.rules.by_pattern == ("Laptops by pattern", "Anything new")
    after = conditions(db)
    assert after["Laptops by pattern"] == before["Laptops by pattern"]
    assert "Laptops by pattern" in done.said() and "pattern" in done.said()


def test_a_rename_no_rule_names_records_no_rules_version(db: Database) -> None:
    laptop(db)
    with db.read() as session:
        count = len(rulebook.versions(session))
    done = renamed(db)
    with db.read() as session:
        assert len(rulebook.versions(session)) == count
    assert done.rules is not None and done.rules.rewritten == () and "no rule" in done.said()


@pytest.mark.parametrize("retire", [False, True], ids=["active", "retired"])
def test_a_name_another_type_has_is_refused_naming_the_field(db: Database, retire: bool) -> None:
    laptop(db)
    with db.transaction() as session:
        request_types.add(session, name="VPN access", summary="Remote access")
        if retire:
            request_types.change(session, "VPN access", active=False)
    with pytest.raises(BadField, match="already") as refused:
        renamed(db, "VPN access")
    assert refused.value.field == "name"


def test_the_command_line_says_what_it_rewrote(runner: CliRunner, db: Database) -> None:
    laptop(db)
    use_rules(db, RULES, **MEMBERS)
    done = runner.invoke(main, ["request-type", "set", "New laptop", "--name", "Developer laptop"])
    assert done.exit_code == 0, done.output
    assert "rules 'Laptops to the hardware desk', 'Kit' now test the new name" in done.output
    assert "'Laptops by pattern'" in done.output
    with db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "request_type.change")).one()
    assert entry.detail is not None and entry.detail["rules_rewritten"] == ["Laptops to the hardware desk", "Kit"]


def test_the_page_says_what_it_rewrote(client: FlaskClient, make_user: Callable[..., Login], db: Database) -> None:
    shown = laptop(db)
    use_rules(db, RULES, **MEMBERS)
    log_in(client, make_user(email="admin@example.com", role="admin"))
    page = client.get(f"/request-types/{shown.id}/edit").get_data(as_text=True)
    typed = {"csrf_token": csrf_token(page), "name": "Developer laptop", "summary": shown.summary,
             "description": shown.description, "category": "hardware", "group": "hardware", "position": "0",
             "questions": "\r\n".join(q.as_line() for q in shown.questions)}  # fmt: skip
    said = client.post(f"/request-types/{shown.id}/edit", data=typed, follow_redirects=True).get_data(as_text=True)
    assert "now test the new name" in said and "Laptops by pattern" in said
    with db.read() as session:
        assert rulebook.versions(session)[-1].author == "admin@example.com"


def test_the_api_returns_what_it_rewrote(client: FlaskClient, db: Database) -> None:
    shown = laptop(db)
    use_rules(db, RULES, **MEMBERS)
    headers = token_headers(db, name="sync", role="admin")
    answer = client.patch(f"/api/v1/request-types/{shown.id}", headers=headers, json={"name": "Developer laptop"})
    assert answer.status_code == 200, answer.json
    assert answer.json["renamed"] == {"from": "New laptop", "rules_rewritten": ["Laptops to the hardware desk", "Kit"],
                                      "rules_not_rewritten": ["Laptops by pattern", "Anything new"]}  # fmt: skip
    unrenamed = client.patch(f"/api/v1/request-types/{shown.id}", headers=headers, json={"position": 3})
    assert "renamed" not in unrenamed.json


def test_the_documented_rename_runs_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    laptop(db)
    [rules] = fenced("docs/requests.md", "Routing", "yaml")
    use_rules(db, rules, **{"dev-desk": ["dev@example.com"]})
    [block] = fenced("docs/requests.md", "Renaming a type", "sh")
    out = run_as_printed(block, settings, tmp_path)
    assert "Renamed from New laptop: rule 'Developer laptops go to the developer desk' now tests the new name." in out
