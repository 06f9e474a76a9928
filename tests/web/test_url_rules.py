"""URL builders compiled once per process (web/url_rules.py): shared between apps, and building what werkzeug's do."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, url_for
from werkzeug.routing import IntegerConverter, Rule

from hub.db import Database
from tests.conftest import make_settings
from web import create_app
from web.services import services
from web.url_rules import SharedBuilderRule, _build_on_first_use


def another_app(tmp_path: Path, migrated_sqlite: Path) -> Flask:
    settings = make_settings(tmp_path / "other")
    settings.home.mkdir(parents=True)
    (settings.home / "switchboard.db").write_bytes(migrated_sqlite.read_bytes())
    return create_app(settings, db=Database.connect(settings.database_url))


def sample_values(rule: Rule) -> dict[str, object]:
    """A value each of the rule's arguments accepts, and one no rule names (it goes to the query string)."""
    values: dict[str, object] = {"q": "disk full & more"}
    for name, converter in rule._converters.items():
        values[name] = 42 if isinstance(converter, IntegerConverter) else "db1 mail/é"
    return values


def test_every_rule_of_the_app_shares_its_builders(app: Flask) -> None:
    assert app.url_rule_class is SharedBuilderRule
    assert all(isinstance(rule, SharedBuilderRule) for rule in app.url_map.iter_rules())


def test_a_second_app_reuses_the_first_apps_builders_bound_to_its_own_rules(
    app: Flask, tmp_path: Path, migrated_sqlite: Path
) -> None:
    other = another_app(tmp_path, migrated_sqlite)
    try:
        first = {rule.rule: rule for rule in app.url_map.iter_rules()}
        for rule in other.url_map.iter_rules():
            twin = first[rule.rule]
            for append_unknown in (False, True):
                rule.build(sample_values(rule), append_unknown=append_unknown)  # compiles the one kept until used
                twin.build(sample_values(twin), append_unknown=append_unknown)
            for builder in ("_build", "_build_unknown"):
                mine, theirs = getattr(rule, builder), getattr(twin, builder)
                assert mine.__func__ is theirs.__func__, (rule.rule, builder)  # compiled once
                assert mine.__func__ is not _build_on_first_use, (rule.rule, builder)
                assert mine.__self__ is rule and theirs.__self__ is twin  # each app's own rule, converters, map
    finally:
        with other.app_context():
            services().db.dispose()


def test_a_rules_builder_without_the_query_string_is_compiled_only_when_first_used(app: Flask) -> None:
    """url_for never builds with it (werkzeug does only for alias rules), so an app starts without compiling it."""
    app.add_url_rule("/compiled-when-used/<int:n>", endpoint="compiled_when_used")
    rule = app.url_map._rules_by_endpoint["compiled_when_used"][0]
    assert rule._build.__func__ is _build_on_first_use
    assert rule.build({"n": 7}, append_unknown=False) == ("", "/compiled-when-used/7")
    assert rule._build.__func__ is not _build_on_first_use and rule._build.__self__ is rule


def test_every_rule_builds_what_werkzeugs_own_builders_build(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        values = sample_values(rule)
        for append_unknown in (False, True):
            own = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            assert rule.build(values, append_unknown=append_unknown) == own(**values), (rule.rule, append_unknown)


def test_a_rule_with_defaults_gets_builders_of_its_own(app: Flask) -> None:
    """Werkzeug writes a default the path names into the builder's code: two such rules of the same text differ."""
    app.add_url_rule("/pages/<int:page>", endpoint="first", defaults={"page": 1})
    app.add_url_rule("/pages/<int:page>", endpoint="second", defaults={"page": 2})
    with app.test_request_context():
        assert (url_for("first"), url_for("second")) == ("/pages/1", "/pages/2")
