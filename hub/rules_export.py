"""The rule book as deterministic YAML: the same rules give the same bytes (stable key order, no ids, versions or
timestamps), so the export diffs cleanly under version control and rule versions are stored and diffed as it.

It lives in the hub because every save records a version as this text; reading it back (with validation) is
the rules package's job (rules/rules_file.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from hub.domain import RuleSpec

#: What a rule can set, in the order the export writes them (the rules engine validates against the same list).
ACTION_KEYS = (
    "category",
    "kind",
    "service",
    "tags",
    "impact",
    "urgency",
    "assignee",
    "group",
    "strategy",
    "dedup_key",
    "title",
    "ci",
    "channels",
    "escalation",
    "suppress",
)
_LEAF_ORDER = ("field", "op", "value")
SETTING_ORDER = ("timezone", "priority_matrix")
ALWAYS: dict[str, Any] = {"all": []}


class _Row(list[Any]):
    """A priority matrix row, written on one line."""


@cache
def _dumper() -> type:
    """PyYAML's safe dumper writing priority matrix rows on one line. Built on the first export, so that what
    imports ACTION_KEYS from here (the rules engine, on every intake) does not import PyYAML."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(_Row, lambda dumper, row: dumper.represent_sequence("tag:yaml.org,2002:seq", row, True))
    return Dumper


def _ordered(mapping: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    keys = [k for k in order if k in mapping] + sorted(k for k in mapping if k not in order)
    return {k: _plain(mapping[k]) for k in keys}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _ordered(value, _LEAF_ORDER)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def rule_document(spec: RuleSpec) -> dict[str, Any]:
    """One rule as the file writes it (also what the web workbench edits)."""
    rule: dict[str, Any] = {"name": spec.name}
    condition = spec.condition()
    if condition != ALWAYS:
        rule["when"] = _plain(condition)
    rule["set"] = _ordered(spec.effects(), ACTION_KEYS)
    rule["stop"] = spec.stop
    rule["enabled"] = spec.enabled
    return rule


def export(specs: Sequence[RuleSpec], settings: Mapping[str, Any] | None = None) -> str:
    """The rules, in the order they apply, and the settings (only those set) as YAML."""
    document: dict[str, Any] = {}
    for key in SETTING_ORDER:
        if settings and settings.get(key) is not None:
            value = settings[key]
            document[key] = (
                [_Row(r) for r in value] if key == "priority_matrix" and isinstance(value, list | tuple) else value
            )
    document["rules"] = [rule_document(spec) for spec in specs]
    import yaml

    dumper = _dumper()
    return yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)
