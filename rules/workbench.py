"""The workbench's pure core: a rule as an admin edits it (name, condition and actions as YAML text) becomes a
candidate rule book, checked as a whole with every problem located in the box and line the admin typed it on;
the candidate can then be tried on an event, or its templates previewed, before anything is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hub.domain import NO_STATE, Decision, InboundEvent, RoutingState, RuleBook, RuleSpec
from hub.over_rules import NOTHING, Known, defaults_said
from hub.rules_export import ALWAYS, rule_document
from rules.actions import compile_template
from rules.conditions import EventView
from rules.engine import (
    DEFAULT_SETTINGS,
    Engine,
    RuleCheck,
    compile_settings,
    rule_problems,
    template_context,
    validate,
)
from rules.errors import PathPart, RuleError, format_path
from rules.rules_file import check_size

if TYPE_CHECKING:  # PyYAML is imported when the workbench is used: web workers that never show it skip it
    import yaml

#: The version a candidate book carries: never a stored one, so no engine mistakes it for the live rules.
CANDIDATE_VERSION = -1
#: The form's boxes, as problems name them.
BOXES = ("name", "when", "set")
#: Actions whose value is a template the preview renders.
TEMPLATE_KEYS = ("title", "dedup_key", "ci")


def _yaml(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


@dataclass(frozen=True)
class RuleDraft:
    """A rule as the edit form holds it; `rule_id` None is a new rule, which goes first (as the CLI adds them)."""

    name: str
    when: str
    sets: str
    stop: bool = False
    enabled: bool = True
    rule_id: int | None = None

    @classmethod
    def of(cls, spec: RuleSpec) -> RuleDraft:
        """The form for a stored rule, in the layout the export writes (an empty `when` matches everything)."""
        document = rule_document(spec)
        when = _yaml(document["when"]) if "when" in document else ""
        return cls(spec.name, when, _yaml(document["set"]), spec.stop, spec.enabled, spec.id)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a draft: the box it is in, the line there (1-based), where in the rule, what."""

    box: str  # name | when | set | settings | rules (another, stored rule)
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.box if self.line is None else f"{self.box}, line {self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass(frozen=True)
class Candidate:
    """The rule book as it would be with the draft saved, and where the draft sits in it."""

    book: RuleBook
    index: int

    @property
    def spec(self) -> RuleSpec:
        return self.book.rules[self.index]


def _load(text: str, box: str, problems: list[Problem]) -> tuple[Any, yaml.Node | None]:
    """The value in one YAML box and its node tree (for line numbers); (None, None) when empty or malformed."""
    if not text.strip():
        return None, None
    import yaml

    try:
        node = yaml.compose(text)
        if node is not None:
            check_size(node)  # before safe_load: a few aliases can stand for billions of values
        return yaml.safe_load(text), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(box, mark.line + 1 if mark else None, "", f"not valid YAML: {problem}"))
        return None, None
    except RuleError as exc:
        problems.append(Problem(box, None, "", str(exc)))
        return None, None


def candidate(draft: RuleDraft, live: RuleBook) -> tuple[Candidate | None, list[Problem]]:
    """The live rules with the draft in place, validated as a whole; every problem found, each located.

    The draft's name, condition and actions are checked independently, so one form submission shows them all.
    """
    problems: list[Problem] = []
    when, when_root = _load(draft.when, "when", problems)
    sets, set_root = _load(draft.sets, "set", problems)
    if not draft.name.strip():
        problems.append(Problem("name", None, "", "every rule needs a name"))
    if sets is None and set_root is None and not any(p.box == "set" for p in problems):
        problems.append(Problem("set", None, "", "say what the rule sets, e.g. `category: outage`"))
    elif sets is not None and not isinstance(sets, dict):
        problems.append(Problem("set", 1, "", "`set` must be a mapping of what the rule sets, e.g. category: outage"))
        sets = None
    actions = dict(sets or {})
    if isinstance(actions.get("assignee"), str):
        actions["assignee"] = actions["assignee"].lower()  # as the file import does: addresses compare lower-case
    spec = RuleSpec(
        id=draft.rule_id or 0,
        name=draft.name.strip(),
        when=when if when is not None else ALWAYS,
        actions=MappingProxyType(actions),
        stop=draft.stop,
        enabled=draft.enabled,
    )
    rules = list(live.rules)
    if draft.rule_id is None:
        rules.insert(0, spec)
        index = 0
    else:
        found = [i for i, r in enumerate(rules) if r.id == draft.rule_id]
        if not found:
            return None, [Problem("rules", None, "", f"rule {draft.rule_id} was deleted meanwhile; add it anew")]
        index = found[0]
        rules[index] = spec
    roots = {"when": when_root, "set": set_root}
    boxes_in_error = {p.box for p in problems}
    for error in _draft_errors(spec, live.settings, boxes_in_error):
        problems.append(_locate(error, 0, roots, [spec]))
    for error in validate(rules, live.settings):
        if len(error.path) < 2 or error.path[1] != index:  # the draft itself was checked above, box by box
            problems.append(_locate(error, index, roots, rules))
    if problems:
        return None, problems
    book = RuleBook(CANDIDATE_VERSION, tuple(rules), live.silences, live.settings)
    return Candidate(book, index), []


def _draft_errors(spec: RuleSpec, settings: Mapping[str, Any], skip: set[str]) -> list[RuleError]:
    """The draft's condition and actions compiled separately (boxes already in error are left out)."""
    try:
        compiled = compile_settings(settings)
    except RuleError:
        compiled = DEFAULT_SETTINGS  # the settings' own problem is reported by `validate`
    found = rule_problems(spec, compiled, when="when" not in skip, sets="set" not in skip)
    return [RuleError(exc.reason, ("rules", 0, *exc.path)) for exc in found]


def _locate(error: RuleError, index: int, roots: Mapping[str, yaml.Node | None], rules: list[RuleSpec]) -> Problem:
    path = error.path
    if len(path) < 3 or path[0] != "rules" or not isinstance(path[1], int):
        return Problem("settings", None, format_path(path), error.reason)
    if path[1] != index:  # a stored rule that no longer validates: name it, it is not in the form
        other = rules[path[1]].name
        return Problem("rules", None, format_path(path[2:]), f"rule {other!r}: {error.reason}")
    box = str(path[2])
    if box not in BOXES:
        return Problem("set", None, format_path(path[2:]), error.reason)
    return Problem(box, _line(roots.get(box), path[3:]), format_path(path[2:]), error.reason)


def _line(root: yaml.Node | None, path: tuple[PathPart, ...]) -> int | None:
    """The line of the deepest node `path` reaches in one box (1-based), None for an empty box."""
    if root is None:
        return None
    import yaml

    node = root
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((value for key, value in node.value if key.value == part), None)
            if child is not None and isinstance(child, yaml.ScalarNode):
                # the key's own line reads better than a block scalar's first content line
                child = next(key for key, value in node.value if value is child)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


# -- trying the candidate on one event -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """What the rules decide for one event: the trace, why each enabled rule did or did not match, and the
    incident the event would open (field, value), in the order the page shows them; `defaults`: what a desk's or
    a request type's defaults set over catch-all rules, in words (their steps end the trace)."""

    decision: Decision
    checks: tuple[RuleCheck, ...]
    incident: tuple[tuple[str, str], ...]
    defaults: tuple[str, ...] = ()

    @property
    def matched(self) -> int:
        """How many rules matched (the trace less the defaults' steps)."""
        return len(self.decision.trace) - len(self.defaults)


def incident_fields(event: InboundEvent, decision: Decision) -> tuple[tuple[str, str], ...]:
    """The incident as the event would open it under `decision` (unset fields as "—")."""

    def text(value: object) -> str:
        if isinstance(value, tuple):
            return ", ".join(map(str, value)) or "—"
        return "—" if value is None or value == "" else str(value)

    opens = "no: suppressed (stored, no incident)" if decision.suppressed else "yes"
    assignee = text(decision.assignee) + (f" (group {decision.assigned_from})" if decision.assigned_from else "")
    if decision.silenced_by is not None and not decision.suppressed:
        opens = f"yes, silenced by silence {decision.silenced_by} (no one is notified)"
    return (
        ("opens an incident", opens),
        ("title", text(decision.title or event.title)),
        ("priority", f"P{decision.priority}"),
        ("category", text(decision.category)),
        ("kind", decision.kind_of(event)),
        ("service", text(decision.service)),
        ("assignee", assignee),
        ("tags", text(decision.tags)),
        ("impact / urgency", f"{text(decision.impact)} / {text(decision.urgency)}"),
        ("dedup key", text(decision.dedup_key or event.dedup_key)),
        ("channels", text(decision.channels)),
    )  # fmt: skip


def trial(
    book: RuleBook, event: InboundEvent, now: datetime, state: RoutingState = NO_STATE, known: Known = NOTHING
) -> Trial:
    """Decide `event` as it arrived at `now` under `book` (explaining every enabled rule, as `rules test --all`),
    with what the intake lays over the rules (`known`'s desks' and request types' defaults, hub/over_rules.py)."""
    engine = Engine()
    ruled = engine(event, book, now, state)
    decision = known.over(ruled, event, book)
    return Trial(decision, tuple(engine.explain(event, book, now)), incident_fields(event, decision),
                 defaults_said(ruled, decision))  # fmt: skip


# -- template preview ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """One template of the draft rendered on an event: the text, or why it failed."""

    key: str
    template: str
    text: str | None
    error: str | None


def template_values(event: InboundEvent, now: datetime, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What a template can read for `event`: every field by name and `labels` (time fields in the rules' zone)."""
    zone = compile_settings(settings).timezone
    return template_context(EventView(event, now.astimezone(zone)))


def preview(spec: RuleSpec, event: InboundEvent, now: datetime, settings: Mapping[str, Any]) -> list[Preview]:
    """Render each title / dedup key template the rule sets on `event`, as the engine would."""
    effects = spec.effects()
    context = template_values(event, now, settings)
    previews = []
    for key in TEMPLATE_KEYS:
        if key not in effects:
            continue
        source = str(effects[key])
        try:
            text, why = compile_template(effects[key], ("set", key))(context)
        except RuleError as exc:
            text, why = None, exc.reason
        previews.append(Preview(key, source, text, why))
    return previews


# -- one-line summaries for the rule list ---------------------------------------------------------------------------


def describe_condition(node: Any) -> str:
    """A condition tree on one line: `all(severity in ['critical']; labels.team equals 'db')`, `always`."""
    if not isinstance(node, Mapping):
        return repr(node)
    for kind in ("all", "any"):
        if kind in node:
            parts = [describe_condition(child) for child in node[kind] or ()]
            return "always" if not parts and kind == "all" else f"{kind}(" + "; ".join(parts) + ")"
    if "not" in node:
        return f"not({describe_condition(node['not'])})"
    if node.get("op") == "exists":
        return f"{node.get('field')} exists"
    return f"{node.get('field')} {node.get('op', 'equals')} {node.get('value')!r}"


def describe_actions(effects: Mapping[str, Any]) -> str:
    """What a rule sets on one line: `category=database, tags=db, paging, group=dba`."""
    parts = []
    for key, value in effects.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key}={shown}")
    return "; ".join(parts) or "nothing"
