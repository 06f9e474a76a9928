"""`/api/v1/rules`: the rules, their YAML export and their versions, for scripts holding an API token."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from flask.testing import FlaskClient

from hub import accounts, rulebook
from hub.db import Database
from hub.domain import RuleSpec


def _token(db: Database, role: str) -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name=f'rules-{role}', role=role)}"}


def _add_db_rule(db: Database) -> None:
    spec = RuleSpec(id=0, name="DB pages", when={"field": "labels.team", "op": "equals", "value": "db"},
                    actions=MappingProxyType({"category": "database"}), stop=True)  # fmt: skip
    with db.transaction() as session:
        rulebook.add_rule(session, spec, author="ann@example.com")


def test_rules_are_listed_in_the_order_they_apply(client: FlaskClient, db: Database) -> None:
    _add_db_rule(db)
    rules = client.get("/api/v1/rules", headers=_token(db, "agent")).json
    assert [(r["place"], r["name"], r["stop"]) for r in rules] == [  # type: ignore[union-attr]
        (1, "DB pages", True), (2, "Default: everything goes to the service desk", False)
    ]  # fmt: skip
    assert rules[0]["when"] == {"field": "labels.team", "op": "equals", "value": "db"}  # type: ignore[index]
    assert rules[0]["set"] == {"category": "database"}  # type: ignore[index]


def test_the_export_is_the_same_bytes_as_the_cli_writes(client: FlaskClient, db: Database) -> None:
    _add_db_rule(db)
    response = client.get("/api/v1/rules/export", headers=_token(db, "admin"))
    with db.read() as session:
        expected = rulebook.current_text(session)
    assert response.mimetype == "application/yaml" and response.get_data(as_text=True) == expected


def test_versions_are_listed_newest_first_with_their_author(client: FlaskClient, db: Database) -> None:
    _add_db_rule(db)
    versions = client.get("/api/v1/rules/versions", headers=_token(db, "admin")).json
    assert [(v["number"], v["author"]) for v in versions] == [(2, "ann@example.com"), (1, "switchboard")]  # type: ignore[union-attr]


@pytest.mark.parametrize("path", ["/api/v1/rules", "/api/v1/rules/export", "/api/v1/rules/versions"])
def test_a_viewer_token_may_not_read_the_rules(client: FlaskClient, db: Database, path: str) -> None:
    assert client.get(path, headers=_token(db, "viewer")).status_code == 403
    assert client.get(path).status_code == 401
