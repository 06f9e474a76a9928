"""What a rule's condition tree says of a name it compares with, and that name changed (pure).

A stored condition is `{field, op, value}` or an `all`/`any` list or a `not` of them (rules/conditions.py compiles
it; hub does not import rules, so the few facts needed here are kept here). Renaming something a rule names by its
exact words (a request type) rewrites the tests that compare whole names (`equals`, `not_equals`, `in`); a pattern
(`contains`, `starts_with`, `ends_with`, `regex`) says what the admin meant in a way no rewrite can keep, so those
are only found, for the admin to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.regex import InvalidPattern, compile_pattern

#: The operators that compare a field with whole values: a rename rewrites those values.
WHOLE_VALUE_OPS = frozenset({"equals", "not_equals", "in"})
#: The operators that test a field by a pattern: a rename leaves them, and says which now answer differently.
PATTERN_OPS = frozenset({"contains", "starts_with", "ends_with", "regex"})


def _same(operand: Any, value: str) -> bool:
    """Whether one operand is `value`, ignoring case and spaces around it, as the rules compare."""
    return operand is not None and str(operand).strip().casefold() == value.casefold()


def _operands(condition: Mapping[str, Any]) -> list[Any]:
    """A test's values: a list, or (`in`, as older rules were written) one comma-separated string."""
    operand = condition.get("value")
    if isinstance(operand, list):
        return operand
    if condition.get("op") == "in" and isinstance(operand, str):
        return operand.split(",")
    return [operand]


def _parts(condition: Mapping[str, Any]) -> list[Any]:
    return [*(condition.get("all") or ()), *(condition.get("any") or ()), condition.get("not")]


def names_value(condition: Any, fields: frozenset[str], value: str) -> bool:
    """Whether a condition tree compares one of `fields` with `value` (ignoring case, as the rules do), alone or
    in a list of values, by any operator."""
    if not isinstance(condition, Mapping):
        return False
    if "field" in condition:
        return condition["field"] in fields and any(_same(o, value) for o in _operands(condition))
    return any(names_value(part, fields, value) for part in _parts(condition))


def renamed(condition: Any, fields: frozenset[str], old: str, new: str) -> Any:
    """The condition tree with each whole-value test of one of `fields` naming `old` naming `new` instead (the
    other values of an `in` kept); the same object when nothing names it."""
    if not isinstance(condition, Mapping):
        return condition
    if "field" in condition:
        if condition["field"] not in fields or condition.get("op", "equals") not in WHOLE_VALUE_OPS:
            return condition
        operands = _operands(condition)
        if not any(_same(o, old) for o in operands):
            return condition
        values = [new if _same(o, old) else str(o).strip() if isinstance(o, str) else o for o in operands]
        whole = isinstance(condition.get("value"), list) or condition.get("op") == "in"
        return {**condition, "value": values if whole else values[0]}
    changed = dict(condition)
    for group in ("all", "any"):
        if condition.get(group):
            changed[group] = [renamed(part, fields, old, new) for part in condition[group]]
    if condition.get("not") is not None:
        changed["not"] = renamed(condition["not"], fields, old, new)
    return condition if changed == condition else changed


def pattern_differs(condition: Any, fields: frozenset[str], old: str, new: str) -> bool:
    """Whether a pattern test of one of `fields` answers `new` otherwise than it answered `old`: what a rename
    changes in a rule and leaves for the admin to judge. A pattern that does not compile answers neither."""
    if not isinstance(condition, Mapping):
        return False
    if "field" in condition:
        op = condition.get("op")
        if condition["field"] not in fields or op not in PATTERN_OPS or not isinstance(condition.get("value"), str):
            return False
        return _fits(op, condition["value"], old) != _fits(op, condition["value"], new)
    return any(pattern_differs(part, fields, old, new) for part in _parts(condition))


def _fits(op: str, pattern: str, text: str) -> bool:
    """One pattern test on `text`, as rules/conditions.py runs it (ignoring case)."""
    folded, wanted = text.casefold(), pattern.casefold()
    if op == "contains":
        return wanted in folded
    if op == "starts_with":
        return folded.startswith(wanted)
    if op == "ends_with":
        return folded.endswith(wanted)
    try:
        return compile_pattern(pattern, ignore_case=True).search(text) is not None
    except InvalidPattern:
        return False
