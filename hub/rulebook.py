"""Stored rules: read the rule book in force (cached per version) and change it, bumping the version.

Every change also records a rule version (hub/models.py `RuleVersion`): the deterministic YAML export of the whole
rule book after the change, who made it, and the unified diff from the version before, so any version can be
read, compared and restored.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.orm import Session

from hub import revisions
from hub.condition_values import names_value, pattern_differs, renamed
from hub.domain import Matcher, RuleBook, RuleSpec, SilenceSpec
from hub.errors import BadInput
from hub.models import Revision, Rule, RuleSetting, RuleVersion, Silence, utcnow
from hub.rules_export import ALWAYS, SETTING_ORDER, export
from hub.weekly import WeeklyWindow

#: One version for everything routing depends on (rules and silences): either changing reloads both.
RULES_REVISION = "rules"
#: Who a change is recorded as when the caller does not say (tests, scripts).
SYSTEM = "switchboard"


_VERSION = select(Revision.value).where(Revision.name == RULES_REVISION)


def _version(db: Session | Connection) -> int:
    return db.scalar(_VERSION) or 0


def bump_version(session: Session) -> None:
    """Call in the transaction that changes rules, so every process reloads them."""
    revisions.bump(session, RULES_REVISION)


def load_rules(db: Session | Connection) -> tuple[RuleSpec, ...]:
    rows = db.execute(select(*Rule.__table__.c).order_by(Rule.position, Rule.id)).all()
    return tuple(spec_of(r) for r in rows)


def load_settings(db: Session | Connection) -> dict[str, Any]:
    """The rule-book settings that are set (priority_matrix, timezone)."""
    rows = db.execute(select(RuleSetting.name, RuleSetting.value)).all()
    return {name: value["value"] for name, value in rows if name in SETTING_ORDER}


def load(db: Session | Connection) -> RuleBook:
    """The rules in order, their settings and the unexpired silences; works on an ORM session or a Core connection."""
    silences = db.execute(select(*Silence.__table__.c).where(Silence.ends_at > utcnow()).order_by(Silence.id)).all()
    return RuleBook(
        version=_version(db),
        rules=load_rules(db),
        silences=tuple(_silence_of(s) for s in silences),
        settings=MappingProxyType(load_settings(db)),
    )


def _silence_of(row: Any) -> SilenceSpec:
    stored = row.matchers or {}
    matchers = tuple(Matcher(m["field"], m["op"], m["value"]) for m in stored.get("matchers", []))
    weekly = WeeklyWindow.from_json(stored["every"]) if stored.get("every") else None
    return SilenceSpec(row.id, matchers, row.starts_at, row.ends_at, row.comment, weekly)


def spec_of(row: Any) -> RuleSpec:
    """A RuleSpec from a Rule object or a row with the same columns (of either the legacy or the nested kind)."""
    if row.condition is not None or row.actions is not None:
        return RuleSpec(
            id=row.id,
            name=row.name,
            when=row.condition if row.condition is not None else ALWAYS,
            actions=MappingProxyType(dict(row.actions or {})),
            stop=row.stop,
            enabled=row.enabled,
        )
    return RuleSpec(
        id=row.id,
        name=row.name,
        field=row.field,
        op=row.op,
        value=row.value,
        set_category=row.set_category,
        set_assignee=row.set_assignee,
        stop=row.stop,
        enabled=row.enabled,
    )


def _columns(spec: RuleSpec) -> dict[str, Any]:
    """A rule's columns. Legacy rules keep their old columns; nested ones fill them too where they can, so
    an older reader of the table still sees the gist."""
    values: dict[str, Any] = {"name": spec.name, "enabled": spec.enabled, "stop": spec.stop}
    if spec.when is None and not spec.actions:
        return values | {
            "field": spec.field,
            "op": spec.op,
            "value": spec.value,
            "set_category": spec.set_category,
            "set_assignee": spec.set_assignee,
            "condition": None,
            "actions": None,
        }
    condition, effects = spec.condition(), spec.effects()
    leaf = condition if isinstance(condition, Mapping) and "field" in condition else {}
    value = leaf.get("value", "")
    return values | {
        "field": str(leaf.get("field", ""))[:100],
        "op": str(leaf.get("op", "" if not leaf else "equals"))[:20],
        "value": (", ".join(map(str, value)) if isinstance(value, list) else str(value))[:500],
        "set_category": effects.get("category") if isinstance(effects.get("category"), str) else None,
        "set_assignee": effects.get("assignee") if isinstance(effects.get("assignee"), str) else None,
        "condition": _json(condition),
        "actions": _json(effects),
    }


def _json(value: Any) -> Any:
    """Plain JSON values (mapping proxies and tuples from callers become dicts and lists)."""
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


class RuleBookCache:
    """Per-process cache: one cheap version read per event instead of reloading every rule."""

    def __init__(self) -> None:
        self._book: RuleBook | None = None

    def current(self, conn: Connection, seen: revisions.Revisions | None = None) -> RuleBook:
        """The rule book in force, read again only when its version moved (one read of the revision counters per
        call, or none when `seen` has read them in this transaction already)."""
        version = (seen or revisions.Revisions()).of(conn).get(RULES_REVISION, 0)
        book = self._book
        if book is None or book.version != version:
            book = self._book = load(conn)
        return book


# -- changes, each recorded as a version --------------------------------------------------------------------------


def add_rule(session: Session, spec: RuleSpec, *, position: int | None = None, author: str = SYSTEM) -> Rule:
    """Add a rule ahead of the existing ones (so the catch-all stays last) unless a position is given."""
    _ensure_baseline(session)
    row = _insert(session, spec, position)
    bump_version(session)
    record_version(session, author, f"added rule {spec.name!r}")
    return row


def _insert(session: Session, spec: RuleSpec, position: int | None) -> Rule:
    if position is None:
        lowest = session.scalar(select(Rule.position).order_by(Rule.position).limit(1))
        position = (lowest - 10) if lowest is not None else 100
    row = Rule(position=position, **_columns(spec))
    session.add(row)
    session.flush()
    return row


def set_enabled(session: Session, rule_id: int, enabled: bool, *, author: str = SYSTEM) -> Rule:
    _ensure_baseline(session)
    row = _existing(session, rule_id)
    row.enabled = enabled
    bump_version(session)
    record_version(session, author, f"{'enabled' if enabled else 'disabled'} rule {row.name!r}")
    return row


def remove_rule(session: Session, rule_id: int, *, author: str = SYSTEM) -> str:
    """Delete a rule; returns its name."""
    _ensure_baseline(session)
    row = _existing(session, rule_id)
    session.delete(row)
    bump_version(session)
    record_version(session, author, f"removed rule {row.name!r}")
    return row.name


def _existing(session: Session, rule_id: int) -> Rule:
    row = session.get(Rule, rule_id)
    if row is None:
        raise BadInput(f"there is no rule {rule_id}; `switchboard rules list` shows their ids")
    return row


def update_rule(session: Session, rule_id: int, spec: RuleSpec, *, author: str = SYSTEM) -> Rule:
    """Replace what rule `rule_id` tests and sets (validated by the caller), keeping its id and place."""
    _ensure_baseline(session)
    row = _existing(session, rule_id)
    for column, value in _columns(spec).items():
        setattr(row, column, value)
    session.flush()
    bump_version(session)
    record_version(session, author, f"changed rule {spec.name!r}")
    return row


def move_rule(session: Session, rule_id: int, offset: int, *, author: str = SYSTEM) -> Rule:
    """Move a rule `offset` places (negative: earlier, so it wins more fields); the ends simply stop it."""
    _ensure_baseline(session)
    row = _existing(session, rule_id)
    ordered = list(session.scalars(select(Rule).order_by(Rule.position, Rule.id)))
    old = ordered.index(row)
    new = max(0, min(len(ordered) - 1, old + offset))
    if new == old:
        return row
    ordered.insert(new, ordered.pop(old))
    for place, rule in enumerate(ordered, start=1):
        rule.position = place * 10
    session.flush()
    bump_version(session)
    record_version(session, author, f"moved rule {row.name!r} {'up' if new < old else 'down'} to place {new + 1}")
    return row


def replace_all(
    session: Session,
    specs: Sequence[RuleSpec],
    settings: Mapping[str, Any] | None = None,
    *,
    author: str = SYSTEM,
    summary: str = "replaced all rules",
) -> int:
    """Make `specs` the rule book, in this order, in the caller's transaction (all or nothing).

    `settings` (priority_matrix, timezone) replace the stored ones when given; None keeps them.
    """
    _ensure_baseline(session)
    session.execute(delete(Rule))
    for position, spec in enumerate(specs, start=1):
        _insert(session, spec, position * 10)
    if settings is not None:
        _store_settings(session, settings)
    bump_version(session)
    record_version(session, author, summary)
    return len(specs)


def set_settings(session: Session, settings: Mapping[str, Any], *, author: str = SYSTEM) -> None:
    """Replace the rule-book settings (validated by the caller: the rules package knows what they mean)."""
    _ensure_baseline(session)
    _store_settings(session, settings)
    bump_version(session)
    record_version(session, author, "changed settings: " + (", ".join(sorted(settings)) or "back to defaults"))


def _store_settings(session: Session, settings: Mapping[str, Any]) -> None:
    unknown = set(settings) - set(SETTING_ORDER)
    if unknown:
        raise BadInput(f"unknown rule setting(s) {', '.join(sorted(unknown))}; use {', '.join(SETTING_ORDER)}")
    session.execute(delete(RuleSetting))
    for name in SETTING_ORDER:
        if settings.get(name) is not None:
            session.add(RuleSetting(name=name, value={"value": _json(settings[name])}))
    session.flush()


# -- rules that name a service ----------------------------------------------------------------------------------

#: The fields under which a rule or a silence tests an event's `service` label.
SERVICE_FIELDS = frozenset({"service", "labels.service"})


def setting_service(session: Session, name: str) -> list[Rule]:
    """The rules whose actions put incidents on the service `name` (`set: {service: name}`), in order."""
    return [row for row in session.scalars(select(Rule).order_by(Rule.position, Rule.id)) if _sets(row, name)]


def testing_service(session: Session, name: str) -> list[Rule]:
    """The rules whose conditions compare an event's service label with `name` (equals it, or lists it), in order.
    What they test is what events say, which the catalogue does not decide: an alert keeps its own label."""
    rows = session.scalars(select(Rule).order_by(Rule.position, Rule.id))
    return [row for row in rows if names_value(spec_of(row).condition(), SERVICE_FIELDS, name)]


def rename_service(session: Session, old: str, new: str, *, author: str = SYSTEM) -> list[str]:
    """Make the rules that set the service `old` set `new`, recorded as one version; returns their names."""
    changes = [(row, {"actions": {**(row.actions or {}), "service": new}}) for row in setting_service(session, old)]
    return _rewrite(session, changes, author=author, summary=f"service {old!r} renamed to {new!r}")


@dataclass(frozen=True)
class Retested:
    """What renaming a value rules test by name did to them: the rules rewritten, and those left testing by a
    pattern that now answers differently (hub/condition_values.py)."""

    rewritten: tuple[str, ...]
    by_pattern: tuple[str, ...]


def rename_tested(
    session: Session, fields: frozenset[str], old: str, new: str, *, author: str = SYSTEM, what: str
) -> Retested:
    """Make the rules whose conditions compare one of `fields` with the whole value `old` compare it with `new`,
    recorded as one version (`what` names the renamed thing in its summary: `request type`)."""
    changes, by_pattern = [], []
    for row in session.scalars(select(Rule).order_by(Rule.position, Rule.id)):
        spec = spec_of(row)
        condition = spec.condition()
        rewritten = renamed(condition, fields, old, new)
        if rewritten is not condition:
            changes.append((row, _columns(dataclasses.replace(spec, when=rewritten))))
        elif pattern_differs(condition, fields, old, new):
            by_pattern.append(row.name)
    names = _rewrite(session, changes, author=author, summary=f"{what} {old!r} renamed to {new!r}")
    return Retested(tuple(names), tuple(by_pattern))


def _rewrite(session: Session, changes: Sequence[tuple[Rule, Mapping[str, Any]]], *, author: str,
             summary: str) -> list[str]:  # fmt: skip
    """Set the given columns of the given rules, recorded as one version (none when there are none); their names."""
    if not changes:
        return []
    _ensure_baseline(session)
    for row, columns in changes:
        for column, value in columns.items():
            setattr(row, column, value)
    session.flush()
    bump_version(session)
    record_version(session, author, summary)
    return [row.name for row, _ in changes]


def _sets(row: Rule, name: str) -> bool:
    value = (row.actions or {}).get("service")
    return isinstance(value, str) and value.strip() == name


# -- versions -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    number: int
    created_at: datetime
    author: str
    summary: str
    added: int  # lines, from the diff
    removed: int


def current_text(session: Session) -> str:
    """The rule book as it stands, as the deterministic YAML export."""
    session.flush()
    return export(load_rules(session), load_settings(session))


def record_version(session: Session, author: str, summary: str) -> int | None:
    """Record the rule book as it now stands; None when it is the same as the newest version (nothing changed)."""
    text = current_text(session)
    newest = session.scalar(select(RuleVersion).order_by(RuleVersion.id.desc()).limit(1))
    if newest is not None and newest.text == text:
        return None
    number = newest.id + 1 if newest is not None else 1
    before = newest.text if newest is not None else ""
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"version {newest.id}" if newest is not None else "(nothing)",
            f"version {number}",
        )
    )
    session.add(RuleVersion(id=number, author=author[:320], summary=summary[:500], text=text, diff=diff))
    session.flush()
    return number


def _ensure_baseline(session: Session) -> None:
    """Before the first recorded change, record the rules as they were, so that state can be restored too."""
    if session.scalar(select(func.count()).select_from(RuleVersion)) == 0:
        record_version(session, SYSTEM, "the rules before the first recorded change")


def versions(session: Session) -> list[VersionInfo]:
    """Every recorded version, oldest first."""
    rows = session.execute(select(RuleVersion).order_by(RuleVersion.id)).scalars()
    return [VersionInfo(r.id, r.created_at, r.author, r.summary, *_counts(r.diff)) for r in rows]


def _counts(diff: str) -> tuple[int, int]:
    lines = diff.splitlines()
    added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    return added, removed


def version_text(session: Session, number: int) -> str:
    """The rule book as it was at version `number` (YAML, as `rules export` writes it)."""
    row = session.get(RuleVersion, number)
    if row is None:
        raise BadInput(f"there is no rule version {number}; `switchboard rules versions` lists them")
    return row.text


def latest_version(session: Session) -> int | None:
    return session.scalar(select(func.max(RuleVersion.id)))


def diff_versions(session: Session, old: int, new: int | None = None) -> str:
    """A unified diff between two versions (`new` None: the rules as they stand now)."""
    before = version_text(session, old)
    after = version_text(session, new) if new is not None else current_text(session)
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"version {old}",
            f"version {new}" if new is not None else "current",
        )
    )
