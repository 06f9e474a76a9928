"""Rules as code: a deterministic YAML export (same rules, same bytes) and a validating import.

    rules:
      - name: Critical alerts to on-call
        when: {field: severity, op: equals, value: critical}
        set: {category: outage, assignee: oncall@example.com}
        stop: false
        enabled: true

No ids, versions or timestamps, so the file diffs cleanly under version control. An import is checked as a whole
before anything changes, and every problem is reported with the line it is on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from hub.domain import RuleSpec
from rules.engine import compile_rule
from rules.errors import RuleError

_KEYS = {"name", "when", "set", "stop", "enabled"}


def export(specs: Sequence[RuleSpec]) -> str:
    """The rules, in the order they apply, as YAML; the same rules always give the same text."""
    rules = []
    for spec in specs:
        when: dict[str, str] = {"field": spec.field, "op": spec.op}
        if spec.op != "exists":
            when["value"] = spec.value
        sets = {k: v for k, v in (("category", spec.set_category), ("assignee", spec.set_assignee)) if v}
        rules.append({"name": spec.name, "when": when, "set": sets, "stop": spec.stop, "enabled": spec.enabled})
    return yaml.safe_dump({"rules": rules}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)


def parse(text: str) -> list[RuleSpec]:
    """Rules from YAML, all checked; RuleError lists every problem with its line number."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"not valid YAML: {exc}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise RuleError("line 1: the file must be a mapping with a `rules:` list")
    items = next((value for key, value in root.value if key.value == "rules"), None)
    if not isinstance(items, yaml.SequenceNode):
        raise RuleError(f"line {root.start_mark.line + 1}: expected `rules:` followed by a list of rules")
    specs: list[RuleSpec] = []
    problems: list[str] = []
    for node in items.value:
        line = node.start_mark.line + 1
        try:
            specs.append(_spec(yaml.safe_load(yaml.serialize(node)), line))
        except RuleError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise RuleError("; ".join(problems))
    return specs


def _spec(raw: Any, line: int) -> RuleSpec:
    if not isinstance(raw, dict):
        raise RuleError("a rule must be a mapping with name, when and set")
    unknown = set(raw) - _KEYS
    if unknown:
        raise RuleError(f"unknown key(s) {', '.join(sorted(unknown))}; a rule has {', '.join(sorted(_KEYS))}")
    name, when, sets = raw.get("name"), raw.get("when"), raw.get("set") or {}
    if not isinstance(name, str) or not name.strip():
        raise RuleError("every rule needs a name")
    if not isinstance(when, dict) or not isinstance(sets, dict):
        raise RuleError(f"rule {name!r}: `when` and `set` must be mappings")
    if not set(sets) <= {"category", "assignee"} or not sets:
        raise RuleError(f"rule {name!r}: `set` takes category and/or assignee")
    spec = RuleSpec(
        id=line,
        name=name.strip(),
        field=str(when.get("field", "")),
        op=str(when.get("op", "equals")),
        value=str(when.get("value", "")),
        set_category=sets.get("category"),
        set_assignee=str(sets["assignee"]).lower() if sets.get("assignee") else None,
        stop=bool(raw.get("stop", False)),
        enabled=bool(raw.get("enabled", True)),
    )
    try:
        compile_rule(spec)
    except RuleError as exc:
        raise RuleError(f"rule {name!r}: {exc}") from None
    return spec
