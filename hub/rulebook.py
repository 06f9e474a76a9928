"""Stored rules: read the rule book in force (cached per version) and change it, bumping the version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from hub.domain import Matcher, RuleBook, RuleSpec, SilenceSpec
from hub.errors import BadInput
from hub.models import Revision, Rule, Silence, utcnow
from hub.prepared import Prepared

#: One version for everything routing depends on (rules and silences): either changing reloads both.
RULES_REVISION = "rules"


_VERSION = select(Revision.value).where(Revision.name == RULES_REVISION)
_PREPARED_VERSION = Prepared(_VERSION)


def _version(db: Session | Connection) -> int:
    return db.scalar(_VERSION) or 0


def bump_version(session: Session) -> None:
    """Call in the transaction that changes rules, so every process reloads them."""
    updated = session.execute(update(Revision).where(Revision.name == RULES_REVISION).values(value=Revision.value + 1))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(Revision(name=RULES_REVISION, value=1))


def load(db: Session | Connection) -> RuleBook:
    """The rules in order and the unexpired silences; works on an ORM session or a Core connection."""
    rows = db.execute(select(*Rule.__table__.c).order_by(Rule.position, Rule.id)).all()
    silences = db.execute(select(*Silence.__table__.c).where(Silence.ends_at > utcnow()).order_by(Silence.id)).all()
    return RuleBook(
        version=_version(db),
        rules=tuple(spec_of(r) for r in rows),
        silences=tuple(_silence_of(s) for s in silences),
    )


def _silence_of(row: Any) -> SilenceSpec:
    matchers = tuple(Matcher(m["field"], m["op"], m["value"]) for m in (row.matchers or {}).get("matchers", []))
    return SilenceSpec(row.id, matchers, row.starts_at, row.ends_at, row.comment)


def spec_of(row: Any) -> RuleSpec:
    """A RuleSpec from a Rule object or a row with the same columns."""
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


class RuleBookCache:
    """Per-process cache: one cheap version read per event instead of reloading every rule."""

    def __init__(self) -> None:
        self._book: RuleBook | None = None

    def current(self, conn: Connection) -> RuleBook:
        """The rule book in force, read again only when its version moved (one indexed read per call)."""
        version = _PREPARED_VERSION.scalar(conn, {}) or 0
        book = self._book
        if book is None or book.version != version:
            book = self._book = load(conn)
        return book


def add_rule(session: Session, spec: RuleSpec, *, position: int | None = None) -> Rule:
    """Add a rule ahead of the existing ones (so the catch-all stays last) unless a position is given."""
    if position is None:
        lowest = session.scalar(select(Rule.position).order_by(Rule.position).limit(1))
        position = (lowest - 10) if lowest is not None else 100
    row = Rule(
        position=position,
        name=spec.name,
        enabled=spec.enabled,
        field=spec.field,
        op=spec.op,
        value=spec.value,
        set_category=spec.set_category,
        set_assignee=spec.set_assignee,
        stop=spec.stop,
    )
    session.add(row)
    bump_version(session)
    session.flush()
    return row


def set_enabled(session: Session, rule_id: int, enabled: bool) -> Rule:
    row = _existing(session, rule_id)
    row.enabled = enabled
    bump_version(session)
    return row


def remove_rule(session: Session, rule_id: int) -> str:
    """Delete a rule; returns its name."""
    row = _existing(session, rule_id)
    session.delete(row)
    bump_version(session)
    return row.name


def _existing(session: Session, rule_id: int) -> Rule:
    row = session.get(Rule, rule_id)
    if row is None:
        raise BadInput(f"there is no rule {rule_id}; `switchboard rules list` shows their ids")
    return row


def replace_all(session: Session, specs: Sequence[RuleSpec]) -> int:
    """Make `specs` the rule book, in this order, in the caller's transaction (all or nothing)."""
    session.execute(delete(Rule))
    for position, spec in enumerate(specs, start=1):
        add_rule(session, spec, position=position * 10)
    bump_version(session)
    return len(specs)
