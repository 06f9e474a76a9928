"""Rules as code: a deterministic YAML export (same rules, same bytes) and an import validated as a whole.

    timezone: Europe/Berlin            # optional: the zone hour / weekday / time_of_day are read in (default UTC)
    priority_matrix: 3x3               # optional: 3x3 (default), 5x5, or rows of priorities (impact x urgency)
    rules:
      - name: Database pages to the DBA rota
        when:
          all:
            - {field: severity, op: in, value: [critical, high]}
            - any:
                - {field: labels.team, op: equals, value: db}
                - {field: subject, op: regex, value: 'postgres|mysql'}
        set: {category: database, impact: 1, urgency: 1, group: dba, strategy: round_robin}
        stop: true
        enabled: true

No ids, versions or timestamps, so the file diffs cleanly under version control. An import is checked as a whole
before anything changes, and every problem is reported with the line it is on and its path in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hub.domain import RuleSpec
from hub.rules_export import ALWAYS, SETTING_ORDER
from hub.rules_export import export as export_rules
from rules.engine import validate
from rules.errors import PathPart, RuleError, format_path

if TYPE_CHECKING:  # PyYAML is imported when a rules text is read: web workers that never read one skip it
    import yaml

_KEYS = ("name", "when", "set", "stop", "enabled")
export = export_rules


@dataclass(frozen=True)
class RuleFile:
    """A parsed and validated rules file: the rules in order and the settings it gives."""

    rules: list[RuleSpec]
    settings: dict[str, Any] = field(default_factory=dict)


#: The most YAML nodes a rules text may stand for once its aliases are expanded: a thousand rules of a dozen
#: conditions each. Past it, a few hundred bytes of `&a`/`*a` doubling stand for billions of conditions, which
#: took validation minutes ("billion laughs").
MAX_NODES = 50_000


def check_size(root: yaml.Node) -> None:
    """Raise RuleError when the YAML under `root` expands past MAX_NODES nodes, or an alias refers to itself."""
    import yaml

    sizes: dict[int, int] = {}
    todo: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while todo:
        node, children_done = todo.pop()
        if id(node) in sizes:
            continue
        children = _children(node, yaml.MappingNode, yaml.SequenceNode)
        if children_done:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(child)] for child in children), MAX_NODES + 1)
            continue
        if id(node) in open_nodes:
            line = node.start_mark.line + 1
            raise RuleError(f"line {line}: an alias refers to the node it is in; write the rule out in full")
        open_nodes.add(id(node))
        todo.append((node, True))
        todo.extend((child, False) for child in children if id(child) not in sizes)
    if sizes[id(root)] > MAX_NODES:
        raise RuleError(f"line 1: with its aliases (*name) expanded this stands for more than {MAX_NODES:,} "
                        "values; write the rules out, or use fewer aliases")  # fmt: skip


def _children(node: yaml.Node, mapping: type[yaml.Node], sequence: type[yaml.Node]) -> list[yaml.Node]:
    if isinstance(node, mapping):
        return [part for pair in node.value for part in pair]
    if isinstance(node, sequence):
        return list(node.value)
    return []


def parse(text: str) -> list[RuleSpec]:
    """Rules from YAML, all checked; RuleError lists every problem with its line number."""
    return parse_file(text).rules


def parse_file(text: str) -> RuleFile:
    """Rules and settings from YAML, all checked; RuleError lists every problem with its line and path."""
    import yaml

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"not valid YAML: {exc}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise RuleError("line 1: the file must be a mapping with a `rules:` list")
    check_size(root)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"not valid YAML: {exc}") from None
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # PyYAML builds a tagged value unchecked
        raise RuleError(f"not valid YAML: a value tagged with a type (!!int, !!timestamp...) is not one ({exc}); "
                        "leave the tag out") from None  # fmt: skip
    if not isinstance(document, dict):  # `!!set {rules}` is a mapping to compose, a set once loaded
        raise RuleError("line 1: the file must be a mapping with a `rules:` list")
    unknown = sorted(set(map(str, document)) - {"rules", *SETTING_ORDER})
    problems: list[str] = []
    if unknown:
        problems.append(
            f"line 1: unknown key(s) {', '.join(unknown)}; a rules file has rules, {', '.join(SETTING_ORDER)}"
        )
    items = document.get("rules")
    if not isinstance(items, list):
        problems.append(f"line {root.start_mark.line + 1}: expected `rules:` followed by a list of rules")
        raise RuleError("; ".join(problems))
    specs: list[RuleSpec] = []
    for index, raw in enumerate(items):
        try:
            specs.append(_spec(raw, index))
        except RuleError as exc:
            problems.append(_located(root, ("rules", index, *exc.path), exc.reason, items))
    settings = {key: document[key] for key in SETTING_ORDER if document.get(key) is not None}
    if not problems:
        problems = [_located(root, p.path, p.reason, items) for p in validate(specs, settings)]
    if problems:
        raise RuleError("; ".join(problems))
    return RuleFile(specs, settings)


def _spec(raw: Any, index: int) -> RuleSpec:
    if not isinstance(raw, dict):
        raise RuleError("a rule must be a mapping with name, when and set")
    unknown = sorted(set(map(str, raw)) - set(_KEYS))
    if unknown:
        raise RuleError(f"unknown key(s) {', '.join(unknown)}; a rule has {', '.join(_KEYS)}", (unknown[0],))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleError("every rule needs a name", ("name",))
    sets = raw.get("set")
    if not isinstance(sets, dict):
        raise RuleError("`set` must be a mapping of what the rule sets, e.g. {category: outage}", ("set",))
    for key in ("stop", "enabled"):
        if key in raw and not isinstance(raw[key], bool):
            raise RuleError(f"`{key}` is true or false", (key,))
    actions = dict(sets)
    if isinstance(actions.get("assignee"), str):
        actions["assignee"] = actions["assignee"].lower()
    return RuleSpec(
        id=index + 1,
        name=name.strip(),
        when=raw["when"] if raw.get("when") is not None else ALWAYS,
        actions=MappingProxyType(actions),
        stop=raw.get("stop", False),
        enabled=raw.get("enabled", True),
    )


def _located(root: yaml.Node, path: tuple[PathPart, ...], reason: str, items: list[Any]) -> str:
    """`line 7: rules[2].when.any[1].field (rule 'DB pages'): unknown field ...`: the deepest node the path reaches."""
    node = root
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    where = f"line {node.start_mark.line + 1}: {format_path(path)}" if path else f"line {node.start_mark.line + 1}"
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int) and path[1] < len(items):
        item = items[path[1]]
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            where += f" (rule {item['name']!r})"
    return f"{where}: {reason}"


def _child(node: yaml.Node, part: PathPart) -> yaml.Node | None:
    import yaml

    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        return next((value for key, value in node.value if key.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None
