"""Evaluate an ordered rule list against an event. Pure: no I/O, no clock, no globals.

Rules are compiled once per rule-book version (`Engine` memoises the newest), so evaluating an event costs one
predicate call per rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hub.domain import RULE_FIELDS, Decision, InboundEvent, RuleBook, RuleSpec, SilenceSpec, TraceStep, is_rule_field
from hub.regex import InvalidPattern, compile_pattern
from rules.errors import RuleError
from rules.silences import CompiledSilence, compile_silence, silenced_by

Predicate = Callable[[Any], bool]

#: Priority 1 (most urgent) to 5, by severity, until impact x urgency lands with the full engine.
_PRIORITY_BY_SEVERITY = {"critical": 1, "high": 2, "warning": 3, "info": 4, "unknown": 3}


def priority_for(severity: str) -> int:
    return _PRIORITY_BY_SEVERITY.get(severity, 3)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _operator(op: str, operand: str) -> Predicate:
    folded = operand.casefold()
    match op:
        case "equals":
            return lambda v: _text(v).casefold() == folded
        case "not_equals":
            return lambda v: _text(v).casefold() != folded
        case "contains":
            return lambda v: folded in _text(v).casefold()
        case "starts_with":
            return lambda v: _text(v).casefold().startswith(folded)
        case "ends_with":
            return lambda v: _text(v).casefold().endswith(folded)
        case "in":
            options = {o.strip().casefold() for o in operand.split(",") if o.strip()}
            return lambda v: _text(v).casefold() in options
        case "exists":
            return lambda v: v is not None and v != ""
        case "regex":
            try:
                pattern = compile_pattern(operand, ignore_case=True)
            except InvalidPattern as exc:
                raise RuleError(str(exc)) from None
            return lambda v: pattern.search(_text(v)) is not None
    raise RuleError(f"unknown operator {op!r}; use one of: {', '.join(OPERATORS)}")


OPERATORS = ("equals", "not_equals", "contains", "starts_with", "ends_with", "in", "exists", "regex")


@dataclass(frozen=True)
class CompiledRule:
    spec: RuleSpec
    matches: Callable[[InboundEvent], bool]


def compile_rule(spec: RuleSpec) -> CompiledRule:
    """Turn a stored rule into a predicate over events; raises RuleError naming what is wrong."""
    field = spec.field.strip()
    if not is_rule_field(field):
        raise RuleError(f"unknown field {field!r}; rules can test: {', '.join(RULE_FIELDS)}")
    if spec.op != "exists" and spec.value == "":
        raise RuleError(f"operator {spec.op!r} needs a value to compare with")
    predicate = _operator(spec.op, spec.value)
    return CompiledRule(spec, lambda event: predicate(event.field_value(field)))


def _never(_event: InboundEvent) -> bool:
    return False


def _compile_or_disable(spec: RuleSpec) -> CompiledRule:
    """A stored rule that no longer compiles must not stop ingest: it simply never matches."""
    try:
        return compile_rule(spec)
    except RuleError:
        return CompiledRule(spec, _never)


def decide(event: InboundEvent, rules: Sequence[CompiledRule]) -> Decision:
    """Apply enabled rules in order: the first match to set a field wins; a rule marked stop ends the walk.

    Specific rules go first and a catch-all last, which then only fills in what nothing else set.
    """
    category: str | None = None
    assignee: str | None = None
    trace: list[TraceStep] = []
    for rule in rules:
        spec = rule.spec
        if not spec.enabled:
            continue
        if not rule.matches(event):
            trace.append(TraceStep(spec.id, spec.name, matched=False))
            continue
        sets: dict[str, str] = {}
        if spec.set_category and category is None:
            category = sets["category"] = spec.set_category
        if spec.set_assignee and assignee is None:
            assignee = sets["assignee"] = spec.set_assignee
        trace.append(TraceStep(spec.id, spec.name, matched=True, sets=sets))
        if spec.stop:
            break
    return Decision(priority=priority_for(event.severity), category=category, assignee=assignee, trace=tuple(trace))


@dataclass(frozen=True)
class _Compiled:
    version: int | None
    rules: tuple[CompiledRule, ...] = ()
    silences: tuple[CompiledSilence, ...] = ()


def _compile_silences(specs: Sequence[SilenceSpec]) -> tuple[CompiledSilence, ...]:
    compiled = []
    for spec in specs:
        try:
            compiled.append(compile_silence(spec))
        except RuleError:  # validated when saved; one that no longer compiles silences nothing
            continue
    return tuple(compiled)


class Engine:
    """Decides events against a rule book, compiling each new version once.

    The compiled rules, silences and their version are swapped as one value, so threads sharing an engine never
    see a version paired with another version's rules.
    """

    def __init__(self) -> None:
        self._compiled = _Compiled(None)

    def __call__(self, event: InboundEvent, book: RuleBook, now: datetime | None = None) -> Decision:
        compiled = self._compiled
        if compiled.version != book.version:
            rules = tuple(_compile_or_disable(spec) for spec in book.rules if spec.enabled)
            compiled = self._compiled = _Compiled(book.version, rules, _compile_silences(book.silences))
        decision = decide(event, compiled.rules)
        if compiled.silences and now is not None:
            held_by = silenced_by(event, compiled.silences, now)
            if held_by is not None:
                decision = replace(decision, silenced_by=held_by)
        return decision
