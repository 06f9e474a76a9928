"""What a matching rule sets: validated and compiled once, applied per event without I/O.

Templates (dedup key, title) run in Jinja2's immutable sandbox, expressions only (no loops or macros) and with
every way of sizing a value capped, so an admin's template can read the event but not reach into Python, run for
ever or blow up memory on the intake's hot path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from hub.domain import INCIDENT_KINDS, TEMPLATE_NOTE, GroupState
from hub.rotation import answering
from hub.rules_export import ACTION_KEYS
from rules.errors import PathPart, RuleError

STRATEGIES = ("fixed", "round_robin", "fewest_open", "on_call")
_TEMPLATE_LIMIT = 500  # the width of the title and dedup key columns
_REPEAT_LIMIT = 10_000

# -- priority matrix ---------------------------------------------------------------------------------------

#: Rows are impact 1 (widespread) .. n, columns urgency 1 (now) .. m; cells are priorities 1 (highest) .. 5.
MATRICES: dict[str, tuple[tuple[int, ...], ...]] = {
    "3x3": ((1, 2, 3), (2, 3, 4), (3, 4, 5)),
    "5x5": (
        (1, 1, 2, 2, 3),
        (1, 2, 2, 3, 4),
        (2, 2, 3, 4, 4),
        (2, 3, 4, 4, 5),
        (3, 4, 4, 5, 5),
    ),
}
DEFAULT_MATRIX = MATRICES["3x3"]
#: Priority 1 (most urgent) to 5, by severity, for events no rule gave an impact or urgency.
_PRIORITY_BY_SEVERITY = {"critical": 1, "high": 2, "warning": 3, "info": 4, "unknown": 3}


def priority_for(severity: str) -> int:
    return _PRIORITY_BY_SEVERITY.get(severity, 3)


def compile_matrix(value: Any, path: tuple[PathPart, ...] = ("priority_matrix",)) -> tuple[tuple[int, ...], ...]:
    """A preset name ("3x3", "5x5") or rows of priorities 1-5, every row as long as the first."""
    if value is None:
        return DEFAULT_MATRIX
    if isinstance(value, str):
        if value not in MATRICES:
            raise RuleError(f"unknown matrix {value!r}; use {' or '.join(MATRICES)} or a list of rows", path)
        return MATRICES[value]
    if not isinstance(value, list | tuple) or not value or not all(isinstance(r, list | tuple) and r for r in value):
        raise RuleError("the priority matrix is a list of rows (impact 1 first), each a list of priorities", path)
    width = len(value[0])
    rows: list[tuple[int, ...]] = []
    for i, row in enumerate(value):
        if len(row) != width:
            raise RuleError(
                f"every row needs {width} priorities (one per urgency), this one has {len(row)}", (*path, i)
            )
        for j, cell in enumerate(row):
            if isinstance(cell, bool) or not isinstance(cell, int) or not 1 <= cell <= 5:
                raise RuleError(f"a priority is a whole number from 1 to 5, not {cell!r}", (*path, i, j))
        rows.append(tuple(row))
    return tuple(rows)


def matrix_priority(matrix: tuple[tuple[int, ...], ...], impact: int | None, urgency: int | None) -> int | None:
    """The cell for impact x urgency; a missing one of the two counts as the middle. None if both are missing."""
    if impact is None and urgency is None:
        return None
    row = impact if impact is not None else (len(matrix) + 1) // 2
    column = urgency if urgency is not None else (len(matrix[0]) + 1) // 2
    return matrix[row - 1][column - 1]


# -- templates ----------------------------------------------------------------------------------------------


#: Statements a one-line title or dedup key never needs, and with which it could run for ever (nested loops) or
#: recurse until Python gives up (a macro calling itself), by the keyword that writes them.
_STATEMENTS = {nodes.For: "for", nodes.Macro: "macro", nodes.CallBlock: "call", nodes.FilterBlock: "filter",
               nodes.Block: "block", nodes.Extends: "extends", nodes.Include: "include", nodes.Import: "import",
               nodes.FromImport: "from"}  # fmt: skip
#: A width or precision of six digits or more in a format string: '%0100000000d', '{:>100000000}'.
_WIDE_FORMAT = re.compile(r"\d{6,}")


def _check_size(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse a number argument that would make a value longer than a title could ever need (`center(10**8)`)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _REPEAT_LIMIT:
            raise SecurityError(f"{value} is larger than a rule template may use ({_REPEAT_LIMIT})")


def _check_format(template: Any) -> None:
    wide = _WIDE_FORMAT.search(template) if isinstance(template, str) else None
    if wide:
        raise SecurityError(f"a format width of {wide.group()} is more than a rule template may use")


def _guarded(name: str, function: Any) -> Any:
    """A filter that refuses outsized number arguments (and, for `format`, outsized widths) before it runs."""

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_size(args[1:], kwargs)
        if name == "format" and args:
            _check_format(args[0])
        return function(*args, **kwargs)

    return guarded


class _Sandbox(ImmutableSandboxedEnvironment):
    """No `**`, and `*`, `%`, methods and filters cannot make strings or lists longer than a title could ever need."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guarded(name, function) for name, function in self.filters.items()}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("`**` is not allowed in rule templates")
        if operator == "%":
            _check_format(left)
            return super().call_binop(context, operator, left, right)
        sized = left if isinstance(left, str | list | tuple) else right
        times = right if sized is left else left
        if isinstance(sized, str | list | tuple) and isinstance(times, int) and len(sized) * times > _REPEAT_LIMIT:
            raise SecurityError(f"a repeated value longer than {_REPEAT_LIMIT} characters")
        return super().call_binop(context, operator, left, right)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_size(args, kwargs)
        if getattr(obj, "__name__", "") in ("format", "format_map"):  # Jinja wraps str.format: look beneath
            _check_format(getattr(getattr(obj, "__wrapped__", obj), "__self__", None))
        return super().call(context, obj, *args, **kwargs)


_SANDBOX = _Sandbox(autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class Template:
    source: str
    render: Any  # jinja2.Template.render

    def __call__(self, context: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """(text, None), or (None, why) when it fails or renders nothing: the rule's other actions still apply."""
        try:
            text = " ".join(str(self.render(context)).split())
        except SecurityError as exc:
            return None, f"{TEMPLATE_NOTE}{self.source!r} refused: {exc}"
        except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            return None, f"{TEMPLATE_NOTE}{self.source!r} failed: {exc}"
        except (RecursionError, MemoryError) as exc:  # never the event's fault: it is kept, the field left alone
            return None, f"{TEMPLATE_NOTE}{self.source!r} failed: {type(exc).__name__}"
        if not text:
            return None, f"{TEMPLATE_NOTE}{self.source!r} rendered nothing"
        return text[:_TEMPLATE_LIMIT], None


def compile_template(source: Any, path: tuple[PathPart, ...]) -> Template:
    if not isinstance(source, str) or not source.strip():
        raise RuleError("a template is a non-empty string, e.g. '{{ labels.alertname }}-{{ labels.instance }}'", path)
    try:
        statement = next(_SANDBOX.parse(source).find_all(tuple(_STATEMENTS)), None)
        if statement is not None:
            keyword = _STATEMENTS[type(statement)]
            raise RuleError(f"bad template {source!r}: {{% {keyword} %}} is not allowed in a rule template; "
                            "use filters, e.g. {{ labels|dictsort|map('join', '=')|join(',') }}", path)  # fmt: skip
        return Template(source, _SANDBOX.from_string(source).render)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise RuleError(f"bad template {source!r}: {exc.message or exc}{where}", path) from None


# -- assignment within a group --------------------------------------------------------------------------------


def choose_member(strategy: str, group: GroupState, now: datetime | None = None) -> str | None:
    """The member a strategy picks, passing over those who cannot work it (`group.unable`); None when no member
    can. `on_call` picks whoever the group's rotation has on call at `now` (an override may name someone outside
    the group), or the next in rota who can answer; with no rotation, or no time to read it at, the first member,
    as `fixed` does."""
    if strategy == "on_call" and group.rotation is not None and now is not None:
        who = answering(group.rotation, now, group.unable)
        if who is not None:
            return who
    members = group.members
    if strategy in ("round_robin", "fewest_open") and group.last_assigned in members:
        after = members.index(group.last_assigned) + 1
        members = members[after:] + members[:after]  # round robin order, starting after the last one assigned
    able = [m for m in members if m not in group.unable]
    if not able:
        return None
    if strategy == "fewest_open":  # the fewest open incidents; on a tie, the next in round-robin order
        return min(able, key=lambda m: group.open_counts.get(m, 0))
    return able[0]


# -- one rule's actions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actions:
    """A rule's validated actions (templates compiled)."""

    category: str | None = None
    kind: str | None = None  # one of INCIDENT_KINDS: an incident or a service request
    service: str | None = None
    tags: tuple[str, ...] = ()
    impact: int | None = None
    urgency: int | None = None
    assignee: str | None = None
    group: str | None = None
    strategy: str = "fixed"
    dedup_key: Template | None = None
    title: Template | None = None
    ci: Template | None = None  # the configuration item's name (hub/ci_links.py)
    channels: tuple[str, ...] = ()
    escalation: str | None = None  # an escalation policy's name
    suppress: bool = False


def _text(value: Any, path: tuple[PathPart, ...], limit: int) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise RuleError(f"expected a non-empty text, not {value!r}", path)
    text = str(value).strip()
    if len(text) > limit:
        raise RuleError(f"longer than {limit} characters", path)
    return text


def _names(value: Any, path: tuple[PathPart, ...]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise RuleError("expected a list of names, e.g. [db, prod]", path)
    return tuple(dict.fromkeys(_text(item, (*path, i), 100) for i, item in enumerate(items)))


def _level(value: Any, size: int, what: str, path: tuple[PathPart, ...]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= size:
        raise RuleError(f"{what} is a whole number from 1 to {size} (the priority matrix's size), not {value!r}", path)
    return value


def compile_actions(
    effects: Mapping[str, Any], matrix: tuple[tuple[int, ...], ...], path: tuple[PathPart, ...] = ("set",)
) -> Actions:
    """Validate what a rule sets; RuleError names the key at fault."""
    unknown = sorted(set(effects) - set(ACTION_KEYS))
    if unknown:
        raise RuleError(f"unknown action(s) {', '.join(unknown)}; a rule can set: {', '.join(ACTION_KEYS)}", path)
    if not effects:
        raise RuleError(f"a rule must set something: {', '.join(ACTION_KEYS)}", path)
    e = effects
    strategy = str(e.get("strategy", "fixed"))
    if strategy not in STRATEGIES:
        raise RuleError(f"unknown strategy {strategy!r}; use one of: {', '.join(STRATEGIES)}", (*path, "strategy"))
    if "strategy" in e and "group" not in e:
        raise RuleError("a strategy picks a member of a group: set `group` too", (*path, "strategy"))
    if "group" in e and "assignee" in e:
        raise RuleError("set either `assignee` (a person or queue) or `group` (a member picked by strategy)", path)
    if "suppress" in e and not isinstance(e["suppress"], bool):
        raise RuleError("suppress is true or false", (*path, "suppress"))
    if "kind" in e and e["kind"] not in INCIDENT_KINDS:
        raise RuleError(f"kind is {' or '.join(INCIDENT_KINDS)}, not {e['kind']!r}", (*path, "kind"))

    def text(key: str, limit: int = 100) -> str | None:
        return _text(e[key], (*path, key), limit) if key in e else None

    assignee = text("assignee", 320)
    return Actions(
        category=text("category"),
        kind=text("kind"),
        service=text("service", 200),
        tags=_names(e["tags"], (*path, "tags")) if "tags" in e else (),
        impact=_level(e["impact"], len(matrix), "impact", (*path, "impact")) if "impact" in e else None,
        urgency=_level(e["urgency"], len(matrix[0]), "urgency", (*path, "urgency")) if "urgency" in e else None,
        assignee=assignee.lower() if assignee else None,
        group=text("group", 100),
        strategy=strategy,
        dedup_key=compile_template(e["dedup_key"], (*path, "dedup_key")) if "dedup_key" in e else None,
        title=compile_template(e["title"], (*path, "title")) if "title" in e else None,
        ci=compile_template(e["ci"], (*path, "ci")) if "ci" in e else None,
        channels=_names(e["channels"], (*path, "channels")) if "channels" in e else (),
        escalation=text("escalation"),
        suppress=bool(e.get("suppress", False)),
    )
