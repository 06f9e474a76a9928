"""Evaluate an ordered rule list against an event. Pure: no I/O, no clock, no globals; state comes in as values.

Rules are compiled once per rule-book version (`Engine` memoises the newest), so evaluating an event costs one
predicate call per rule; only rules that match are explained for the trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from hub import zones
from hub.domain import (
    NO_STATE,
    Decision,
    GroupState,
    InboundEvent,
    RoutingState,
    RuleBook,
    RuleSpec,
    SilenceSpec,
    TraceStep,
)
from hub.errors import BadInput
from rules.actions import DEFAULT_MATRIX, Actions, choose_member, compile_actions, compile_matrix, matrix_priority
from rules.actions import priority_for as priority_for
from rules.conditions import (
    _FIELDS,
    OPERATORS,
    Condition,
    EventView,
    RegexBank,
    Test,
    compile_condition,
    condition_problems,
)
from rules.errors import RuleError
from rules.silences import CompiledSilence, compile_silence, silenced_by

__all__ = ["OPERATORS", "CompiledRule", "Engine", "compile_rule", "decide", "priority_for", "validate"]

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class RoutingSettings:
    """Rule-book wide settings: the ITIL priority matrix and the time zone time-of-day conditions are read in."""

    matrix: Matrix = DEFAULT_MATRIX
    timezone: tzinfo = UTC


DEFAULT_SETTINGS = RoutingSettings()
SETTING_KEYS = ("priority_matrix", "timezone")


def compile_settings(settings: Mapping[str, Any]) -> RoutingSettings:
    unknown = sorted(set(settings) - set(SETTING_KEYS))
    if unknown:
        raise RuleError(f"unknown setting(s) {', '.join(unknown)}; use {', '.join(SETTING_KEYS)}", (unknown[0],))
    name = settings.get("timezone")
    zone: tzinfo = UTC
    if name is not None:
        try:
            zone = zones.zone_of(str(name))
        except BadInput:
            raise RuleError(f"unknown time zone {name!r}; use a name like Europe/Berlin", ("timezone",)) from None
    return RoutingSettings(compile_matrix(settings.get("priority_matrix")), zone)


@dataclass(frozen=True)
class CompiledRule:
    spec: RuleSpec
    condition: Condition
    actions: Actions
    enabled: bool = True

    def matches(self, event: InboundEvent, now: datetime | None = None) -> bool:
        return self.condition.test(EventView(event, now))


def compile_rule(
    spec: RuleSpec, settings: RoutingSettings = DEFAULT_SETTINGS, bank: RegexBank | None = None
) -> CompiledRule:
    """Turn a stored rule into a predicate and its actions; RuleError names what is wrong and where.

    Rules compiled with one `bank` run their regexes on each field as one RE2 set.
    """
    condition = compile_condition(spec.condition(), bank=bank)
    actions = compile_actions(spec.effects(), settings.matrix)
    return CompiledRule(spec, condition, actions, spec.enabled)


def rule_problems(
    spec: RuleSpec, settings: RoutingSettings, *, when: bool = True, sets: bool = True
) -> list[RuleError]:
    """Every problem of one rule's condition (each test's, not only the first) and of its actions, each with its
    path within the rule; `when`/`sets` False leaves that part out (the editor's box already in error)."""
    found = condition_problems(spec.condition()) if when else []
    if sets:
        try:
            compile_actions(spec.effects(), settings.matrix)
        except RuleError as exc:
            found.append(exc)
    return found


def validate(specs: Sequence[RuleSpec], settings: Mapping[str, Any]) -> list[RuleError]:
    """Every problem in a whole rule set, each with its path (e.g. `rules[3].when.any[1].field`)."""
    problems: list[RuleError] = []
    try:
        compiled_settings = compile_settings(settings)
    except RuleError as exc:
        problems.append(exc)
        compiled_settings = DEFAULT_SETTINGS
    for index, spec in enumerate(specs):
        if not spec.name.strip():
            problems.append(RuleError("every rule needs a name", ("rules", index, "name")))
        problems += [
            RuleError(one.reason, ("rules", index, *one.path)) for one in rule_problems(spec, compiled_settings)
        ]
    return problems


# -- deciding ---------------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """What the rules have set so far (first match wins per field; tags add up)."""

    category: str | None = None
    kind: str | None = None
    service: str | None = None
    tags: list[str] = field(default_factory=list)
    impact: int | None = None
    urgency: int | None = None
    assignee: str | None = None
    assigned_from: str | None = None
    title: str | None = None
    dedup_key: str | None = None
    ci: str | None = None
    channels: tuple[str, ...] = ()
    escalation: str | None = None
    suppressed: bool = False


def template_context(view: EventView) -> dict[str, Any]:
    """What templates can read: every condition field by name, and `labels` as a mapping."""
    context = {name: view.value(name) for name in _FIELDS}
    context["labels"] = dict(view.event.labels)
    return context


def _assign(
    a: Actions, out: _Outcome, state: RoutingState, now: datetime | None, sets: dict[str, str], notes: list[str]
) -> None:
    if a.assignee:
        out.assignee = sets["assignee"] = a.assignee
        return
    assert a.group is not None
    group = state.groups.get(a.group, GroupState(()))
    if a.strategy == "on_call" and group.rotation is None and group.members:
        notes.append(f"group {a.group!r} has no on-call rotation: assigned to its first member")
    member = choose_member(a.strategy, group, now)
    if member is None:
        notes.append(f"group {a.group!r} has no members: assigned to the group itself")
        out.assignee = sets["group"] = a.group  # the trace names what the rule set: its group, not an assignee
        return
    out.assignee = sets["assignee"] = member
    out.assigned_from = a.group
    sets["group"] = f"{a.group} ({a.strategy})"


def _apply(
    a: Actions, out: _Outcome, state: RoutingState, now: datetime | None, context: Callable[[], Mapping[str, Any]]
) -> TraceStep:
    """Apply one matching rule's actions to what is set so far; returns its trace step (without the rule)."""
    sets: dict[str, str] = {}
    notes: list[str] = []
    if a.category and out.category is None:
        out.category = sets["category"] = a.category
    if a.kind and out.kind is None:
        out.kind = sets["kind"] = a.kind
    if a.service and out.service is None:
        out.service = sets["service"] = a.service
    if a.tags:
        added = [t for t in a.tags if t not in out.tags]
        out.tags.extend(added)
        if added:
            sets["tags"] = ", ".join(added)
    if a.impact is not None and out.impact is None:
        out.impact = a.impact
        sets["impact"] = str(a.impact)
    if a.urgency is not None and out.urgency is None:
        out.urgency = a.urgency
        sets["urgency"] = str(a.urgency)
    if (a.assignee or a.group) and out.assignee is None:
        _assign(a, out, state, now, sets, notes)
    for key, template in (("title", a.title), ("dedup_key", a.dedup_key), ("ci", a.ci)):
        if template is not None and getattr(out, key) is None:
            text, why = template(context())
            if text is None:
                notes.append(str(why))
            else:
                setattr(out, key, text)
                sets[key] = text
    if a.channels and not out.channels:
        out.channels = a.channels
        sets["channels"] = ", ".join(a.channels)
    if a.escalation and not out.escalation:
        out.escalation = a.escalation
        sets["escalation"] = a.escalation
    if a.suppress and not out.suppressed:
        out.suppressed = True
        sets["suppress"] = "yes"
    return TraceStep(0, "", True, sets, (), tuple(notes))


def decide(
    event: InboundEvent,
    rules: Sequence[CompiledRule],
    now: datetime | None = None,
    *,
    state: RoutingState = NO_STATE,
    settings: RoutingSettings = DEFAULT_SETTINGS,
) -> Decision:
    """Apply enabled rules in order: the first match to set a field wins; a rule marked stop ends the walk.

    Specific rules go first and a catch-all last, which then only fills in what nothing else set. `now` is the
    event's time (for hour / weekday conditions); without it those fields read as missing.
    """
    active = tuple(r for r in rules if r.enabled)
    return _decide(event, active, tuple(r.condition.test for r in active), now, state, settings)


def _decide(
    event: InboundEvent,
    rules: Sequence[CompiledRule],
    tests: Sequence[Test],
    now: datetime | None,
    state: RoutingState,
    settings: RoutingSettings,
) -> Decision:
    view = EventView(event, now.astimezone(settings.timezone) if now is not None else None)
    out = _Outcome()
    trace: list[TraceStep] = []
    evaluated = len(tests)
    cached: list[dict[str, Any]] = []

    def context() -> dict[str, Any]:
        if not cached:
            cached.append(template_context(view))
        return cached[0]

    # The hot loop: one predicate call per rule; only a match costs more (explain and apply).
    for index, test in enumerate(tests):
        if not test(view):
            continue
        rule = rules[index]
        _held, reasons = rule.condition.explain(view)
        step = _apply(rule.actions, out, state, now, context)
        trace.append(replace(step, rule_id=rule.spec.id, rule=rule.spec.name, conditions=tuple(reasons)))
        if rule.spec.stop:
            evaluated = index + 1
            break
    priority = matrix_priority(settings.matrix, out.impact, out.urgency)
    return Decision(
        priority=priority if priority is not None else priority_for(event.severity),
        category=out.category,
        kind=out.kind,
        assignee=out.assignee,
        trace=tuple(trace),
        service=out.service,
        tags=tuple(out.tags),
        impact=out.impact,
        urgency=out.urgency,
        title=out.title,
        dedup_key=out.dedup_key,
        ci=out.ci,
        channels=out.channels,
        escalation=out.escalation,
        suppressed=out.suppressed,
        assigned_from=out.assigned_from,
        evaluated=evaluated,
    )


@dataclass(frozen=True)
class RuleCheck:
    """One enabled rule checked against an event, matching or not, with the tests that decided it."""

    rule_id: int
    rule: str
    matched: bool
    conditions: tuple[str, ...]


def explain(event: InboundEvent, rules: Sequence[CompiledRule], now: datetime | None = None) -> list[RuleCheck]:
    """Why each enabled rule did or did not match (slower than `decide`: for people testing rules)."""
    view = EventView(event, now)
    checks = []
    for rule in rules:
        if rule.enabled:
            held, reasons = rule.condition.explain(view)
            checks.append(RuleCheck(rule.spec.id, rule.spec.name, held, tuple(reasons)))
    return checks


# -- compiled once per version ----------------------------------------------------------------------------------


def _never_matches(spec: RuleSpec, why: RuleError) -> CompiledRule:
    def never(_view: EventView) -> bool:
        return False

    def explain_never(_view: EventView) -> tuple[bool, list[str]]:
        return False, [f"does not compile: {why}"]

    return CompiledRule(spec, Condition(never, explain_never), Actions(), spec.enabled)


def _compile_or_disable(spec: RuleSpec, settings: RoutingSettings, bank: RegexBank) -> CompiledRule:
    """A stored rule that no longer compiles must not stop ingest: it simply never matches."""
    try:
        return compile_rule(spec, settings, bank)
    except RuleError as exc:
        return _never_matches(spec, exc)


def _compile_silences(specs: Sequence[SilenceSpec]) -> tuple[CompiledSilence, ...]:
    compiled = []
    for spec in specs:
        try:
            compiled.append(compile_silence(spec))
        except RuleError:  # validated when saved; one that no longer compiles silences nothing
            continue
    return tuple(compiled)


@dataclass(frozen=True)
class CompiledBook:
    version: int | None
    rules: tuple[CompiledRule, ...] = ()
    silences: tuple[CompiledSilence, ...] = ()
    settings: RoutingSettings = DEFAULT_SETTINGS
    tests: tuple[Test, ...] = ()  # each rule's predicate, in order: what the hot loop calls


def compile_book(book: RuleBook) -> CompiledBook:
    try:
        settings = compile_settings(book.settings)
    except RuleError:  # validated when saved; settings that no longer compile fall back to the defaults
        settings = DEFAULT_SETTINGS
    bank = RegexBank()
    rules = tuple(_compile_or_disable(spec, settings, bank) for spec in book.rules if spec.enabled)
    tests = tuple(rule.condition.test for rule in rules)
    return CompiledBook(book.version, rules, _compile_silences(book.silences), settings, tests)


class Engine:
    """Decides events against a rule book, compiling each new version once.

    The compiled rules, silences and their version are swapped as one value, so threads sharing an engine never
    see a version paired with another version's rules.
    """

    def __init__(self) -> None:
        self._compiled = CompiledBook(None)

    def compiled(self, book: RuleBook) -> CompiledBook:
        compiled = self._compiled
        if compiled.version != book.version:
            compiled = self._compiled = compile_book(book)
        return compiled

    def __call__(
        self, event: InboundEvent, book: RuleBook, now: datetime | None = None, state: RoutingState = NO_STATE
    ) -> Decision:
        compiled = self.compiled(book)
        decision = _decide(event, compiled.rules, compiled.tests, now, state, compiled.settings)
        if compiled.silences and now is not None:
            held_by = silenced_by(event, compiled.silences, now)
            if held_by is not None:
                decision = replace(decision, silenced_by=held_by)
        return decision

    def explain(self, event: InboundEvent, book: RuleBook, now: datetime | None = None) -> list[RuleCheck]:
        compiled = self.compiled(book)
        local = now.astimezone(compiled.settings.timezone) if now is not None else None
        return explain(event, compiled.rules, local)
