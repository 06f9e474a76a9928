"""Conditions: which event fields rules can test, the operators, and nested all/any/not groups.

A condition compiles once (per rule-book version) into a `Condition`: a fast `test` for the walk over every rule,
and an `explain` run only for rules that matched, so the trace can say on which conditions they matched without
slowing down the thousand rules that did not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import re2

from hub.domain import InboundEvent
from hub.regex import InvalidPattern, compile_pattern
from rules.errors import PathPart, RuleError

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _enum(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


#: Field name -> how to read it from (event, local time). Aliases read as people say them: sender, subject, body.
_FIELDS: dict[str, Callable[[InboundEvent, datetime | None], Any]] = {
    "source": lambda e, _: e.source,
    "integration": lambda e, _: e.integration,
    "desk_address": lambda e, _: e.desk_address,
    "sender": lambda e, _: e.requester,
    "requester": lambda e, _: e.requester,
    "subject": lambda e, _: e.title,
    "title": lambda e, _: e.title,
    "body": lambda e, _: e.description,
    "description": lambda e, _: e.description,
    "severity": lambda e, _: e.severity,
    "action": lambda e, _: _enum(e.action),
    "dedup_key": lambda e, _: e.dedup_key,
    # What the event says it is: `request` when the help centre's requester said "I need something" (an agent's
    # logged one may say either); everything else arrives an incident. A rule may still set another.
    "kind": lambda e, _: e.kind,
    # What the help centre's requester asked for from the request catalogue (its name), None for anything else.
    "request_type": lambda e, _: e.request_type,
    "service": lambda e, _: e.labels.get("service"),
    "hour": lambda _, t: t.hour if t is not None else None,
    "time_of_day": lambda _, t: f"{t.hour:02d}:{t.minute:02d}" if t is not None else None,
    "weekday": lambda _, t: _WEEKDAYS[t.weekday()] if t is not None else None,
    # Minutes since the newest change implemented on the event's service (labels.service); none: no such change.
    "change.minutes_ago": lambda e, _: e.facts.get("change.minutes_ago"),
    # An email's sender as the receiving mail server found it: pass, fail or none (ingest/mail_auth.py); other
    # sources: nothing.
    "mail.verified": lambda e, _: e.mail.sender_check.verdict if e.mail is not None else None,
}
FIELDS = (*sorted(_FIELDS), "labels.<name>")


def is_field(name: str) -> bool:
    return name in _FIELDS or (name.startswith("labels.") and len(name) > len("labels."))


class EventView(dict[str, str]):
    """One event's field values, each read and case-folded at most once however many rules test it.

    It is itself the mapping of case-folded text by field name (filled on first use by `__missing__`), so the
    commonest test, `view[name] == operand`, is one dictionary lookup.
    """

    __slots__ = ("_regex", "_values", "event", "local_time")

    def __init__(self, event: InboundEvent, local_time: datetime | None = None) -> None:
        super().__init__()
        self.event = event
        self.local_time = local_time
        self._values: dict[str, Any] = {}
        self._regex: dict[tuple[int, str], frozenset[int]] = {}

    def value(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            pass
        if name.startswith("labels."):
            found = self.event.labels.get(name[7:])
        else:
            found = _FIELDS[name](self.event, self.local_time)
        self._values[name] = found
        return found

    def __missing__(self, name: str) -> str:
        value = self.value(name)
        text = self[name] = "" if value is None else str(value).casefold()
        return text

    def folded(self, name: str) -> str:
        return self[name]

    def regex_hits(self, bank: RegexBank, name: str) -> frozenset[int]:
        key = (id(bank), name)
        try:
            return self._regex[key]
        except KeyError:
            value = self.value(name)
            hits = self._regex[key] = bank.match(name, "" if value is None else str(value))
            return hits


class RegexBank:
    """Every regex test of a rule book on one field runs as one RE2 set: one pass over the text finds which of
    the patterns match, however many there are (one search per pattern cost microseconds each)."""

    def __init__(self) -> None:
        self._patterns: dict[str, list[str]] = {}
        self._matchers: dict[str, Callable[[str], frozenset[int]]] = {}

    def add(self, name: str, pattern: str, path: tuple[PathPart, ...]) -> int:
        """Register a pattern (validated now, so a bad one is refused naming itself); returns its index."""
        try:
            compile_pattern(pattern, ignore_case=True)
        except InvalidPattern as exc:
            raise RuleError(str(exc), path) from None
        patterns = self._patterns.setdefault(name, [])
        patterns.append(pattern)
        self._matchers.pop(name, None)
        return len(patterns) - 1

    def match(self, name: str, text: str) -> frozenset[int]:
        matcher = self._matchers.get(name)
        if matcher is None:
            matcher = self._matchers[name] = self._compile(self._patterns.get(name, []))
        return matcher(text)

    @staticmethod
    def _compile(patterns: list[str]) -> Callable[[str], frozenset[int]]:
        try:
            pattern_set = re2.Set.SearchSet()
            for pattern in patterns:
                pattern_set.Add(f"(?i){pattern}")
            pattern_set.Compile()
        except re2.error:  # e.g. past RE2's memory budget for one set: search pattern by pattern instead
            compiled = [compile_pattern(p, ignore_case=True) for p in patterns]
            return lambda text: frozenset(i for i, c in enumerate(compiled) if c.search(text) is not None)
        return lambda text: frozenset(pattern_set.Match(text) or ())


Test = Callable[[EventView], bool]
Explain = Callable[[EventView], tuple[bool, list[str]]]

TEXT_OPERATORS = ("equals", "not_equals", "contains", "starts_with", "ends_with", "in", "regex", "exists")
NUMERIC_OPERATORS = ("lt", "le", "gt", "ge")
OPERATORS = (*TEXT_OPERATORS, *NUMERIC_OPERATORS)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "lt": float.__lt__,
    "le": float.__le__,
    "gt": float.__gt__,
    "ge": float.__ge__,
}


def as_number(value: Any) -> float | None:
    """A number from 42, "4.5" or a time of day "07:30" (minutes since midnight); None if it is none of those."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    hours, sep, minutes = text.partition(":")
    try:
        if sep:
            if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
                return None
            return float(int(hours) * 60 + int(minutes))
        return float(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Condition:
    test: Test
    explain: Explain


NEVER = Condition(lambda _v: False, lambda _v: (False, ["a test with problems"]))


def _leaf_test(name: str, op: str, value: Any, path: tuple[PathPart, ...], bank: RegexBank) -> Test:
    """The predicate for one `field op value` test (text comparisons ignore case, as admins expect)."""
    if op == "exists":
        return lambda v: v[name] != ""
    if op in NUMERIC_OPERATORS:
        bound = as_number(value)
        if bound is None:
            raise RuleError(f"operator {op!r} compares numbers: {value!r} is not a number or HH:MM time", path)
        compare = _COMPARE[op]

        def numeric(v: EventView) -> bool:
            number = as_number(v.value(name))
            return number is not None and compare(number, bound)

        return numeric
    if op == "in":
        options = _options(value, path)
        return lambda v: v[name] in options
    if isinstance(value, list | dict) or value is None:
        raise RuleError(f"operator {op!r} needs one value to compare with, not {value!r}", path)
    operand = str(value)
    if operand == "":
        raise RuleError(f"operator {op!r} needs a value to compare with", path)
    folded = operand.casefold()
    match op:
        case "equals":
            return lambda v: v[name] == folded
        case "not_equals":
            return lambda v: v[name] != folded
        case "contains":
            return lambda v: folded in v[name]
        case "starts_with":
            return lambda v: v[name].startswith(folded)
        case "ends_with":
            return lambda v: v[name].endswith(folded)
        case "regex":
            index = bank.add(name, operand, path)
            return lambda v: index in v.regex_hits(bank, name)
    raise RuleError(f"unknown operator {op!r}; use one of: {', '.join(OPERATORS)}", path)


def _options(value: Any, path: tuple[PathPart, ...]) -> frozenset[str]:
    """`in` takes a list, or (as older rules were written) one comma-separated string."""
    items = value if isinstance(value, list) else str(value if value is not None else "").split(",")
    options = frozenset(str(item).strip().casefold() for item in items if str(item).strip())
    if not options:
        raise RuleError("operator 'in' needs a list of values, e.g. [critical, high]", path)
    return options


def _describe(name: str, op: str, value: Any) -> str:
    if op == "exists":
        return f"{name} exists"
    shown = "[" + ", ".join(str(v) for v in value) + "]" if isinstance(value, list) else repr(str(value))
    return f"{name} {op} {shown}"


def _leaf(
    node: Mapping[str, Any], path: tuple[PathPart, ...], bank: RegexBank, problems: list[RuleError] | None = None
) -> Condition:
    """One `field op value` test. Its keys, field, operator and value are checked apart, so with `problems` a test
    wrong in two places has both said, each at its own path (the editor puts each on its line); else the first."""
    found: list[RuleError] = []
    unknown = ", ".join(sorted(map(str, set(node) - {"field", "op", "value"})))
    if unknown:
        found.append(RuleError(f"unknown key(s) {unknown}; a test has field, op and value", path))
    name = str(node.get("field", "")).strip()
    op = str(node.get("op", "equals")).strip()
    if not is_field(name):
        found.append(RuleError(f"unknown field {name!r}; rules can test: {', '.join(FIELDS)}", (*path, "field")))
    if op not in OPERATORS:
        found.append(RuleError(f"unknown operator {op!r}; use one of: {', '.join(OPERATORS)}", (*path, "op")))
    elif not unknown:  # a misspelt `value` key is said once, as the unknown key, not again as a missing value
        try:  # with the field in error, its regex goes to a bank of its own that nothing runs
            test = _leaf_test(name, op, node.get("value"), (*path, "value"), RegexBank() if found else bank)
        except RuleError as exc:
            found.append(exc)
    if found:
        if problems is None:
            raise found[0]
        problems.extend(found)
        return NEVER  # stands in so the rest is checked: a condition with problems is never run
    text = _describe(name, op, node.get("value"))

    def explain(v: EventView) -> tuple[bool, list[str]]:
        actual = v.value(name)
        return test(v), [f"{text} (got {'nothing' if actual is None else repr(str(actual))})"]

    return Condition(test, explain)


def _group(kind: str, children: Sequence[Condition]) -> Condition:
    tests = tuple(c.test for c in children)
    if len(children) == 1:
        return children[0]
    if kind == "all":
        if not tests:
            return Condition(lambda _v: True, lambda _v: (True, ["always"]))
        if len(tests) == 2:
            first, second = tests
            test_all: Test = lambda v: first(v) and second(v)  # noqa: E731 (a closure is the fastest call)
        else:

            def test_all(v: EventView) -> bool:
                for test in tests:  # noqa: SIM110 (a plain loop: all() over a generator costs twice as much)
                    if not test(v):
                        return False
                return True

        return Condition(test_all, _explained_by(all, children))

    if len(tests) == 2:
        one, other = tests
        test_any: Test = lambda v: one(v) or other(v)  # noqa: E731
    else:

        def test_any(v: EventView) -> bool:
            for test in tests:  # noqa: SIM110 (as above)
                if test(v):
                    return True
            return False

    return Condition(test_any, _explained_by(any, children))


def _explained_by(
    combine: Callable[[Iterable[bool]], bool], children: Sequence[Condition]
) -> Callable[[EventView], tuple[bool, list[str]]]:
    """A group's explanation: the verdict `combine` (all, any) makes of its children's, and the reasons of those
    that agree with it. One function for both kinds, so an all and an any explain themselves alike."""

    def explain(v: EventView) -> tuple[bool, list[str]]:
        results = [c.explain(v) for c in children]
        held = combine(ok for ok, _ in results)
        return held, [r for ok, reasons in results if ok == held for r in reasons]

    return explain


def condition_problems(node: Any, path: tuple[PathPart, ...] = ("when",)) -> list[RuleError]:
    """Every problem of a condition tree, each with its path, in the order written: the rule editor shows them all
    at once, where compiling stops at the first."""
    problems: list[RuleError] = []
    try:
        compile_condition(node, path, problems=problems)
    except RuleError as exc:
        problems.append(exc)
    return problems


def compile_condition(
    node: Any,
    path: tuple[PathPart, ...] = ("when",),
    bank: RegexBank | None = None,
    problems: list[RuleError] | None = None,
) -> Condition:
    """Compile a condition tree; RuleError names the problem and where it is (e.g. `when.any[1].field`).

    Rules compiled together share one `bank`, so their regexes on a field run as one RE2 set. Given `problems`, a
    group's tests that fail are added to it and left out, so the others are checked too (`condition_problems`).
    """
    bank = bank if bank is not None else RegexBank()
    if not isinstance(node, Mapping):
        raise RuleError("a condition is a mapping: {field, op, value}, {all: [...]}, {any: [...]} or {not: ...}", path)
    groups = [key for key in ("all", "any", "not") if key in node]
    if not groups:
        return _leaf(node, path, bank, problems)
    if len(node) != 1:
        raise RuleError(f"`{groups[0]}` stands alone: put other tests inside it", path)
    kind = groups[0]
    if kind == "not":
        inner = compile_condition(node["not"], (*path, "not"), bank, problems)
        inner_test, inner_explain = inner.test, inner.explain

        def explain_not(v: EventView) -> tuple[bool, list[str]]:
            held, reasons = inner_explain(v)
            return not held, [f"not ({'; '.join(reasons)})"]

        return Condition(lambda v: not inner_test(v), explain_not)
    items = node[kind]
    if not isinstance(items, list) or (kind == "any" and not items):
        raise RuleError(f"`{kind}` takes a list of conditions", (*path, kind))
    return _group(kind, _children(items, (*path, kind), bank, problems))


def _children(
    items: list[Any], path: tuple[PathPart, ...], bank: RegexBank, problems: list[RuleError] | None
) -> list[Condition]:
    """A group's tests compiled; with `problems`, each that fails is added to it and the rest still compiled."""
    children = []
    for i, item in enumerate(items):
        try:
            children.append(compile_condition(item, (*path, i), bank, problems))
        except RuleError as exc:
            if problems is None:
                raise
            problems.append(exc)
    return children
