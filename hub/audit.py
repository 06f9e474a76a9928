"""The audit log: every admin change recorded in the same transaction as the change, so none goes unrecorded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hub.domain import CLI as CLI  # audit.record(session, audit.CLI, ...): the actor of command-line changes
from hub.models import AuditEntry


def record(session: Session, actor: str, action: str, target: str, **detail: Any) -> None:
    """Add an entry in the caller's transaction. `detail` must never carry a secret: say "rotated", not the value."""
    session.add(AuditEntry(actor=actor[:320], action=action, target=target[:320], detail=detail or None))


def recent(session: Session, *, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
    """Newest first; `action` narrows to one kind of change, or a family with a trailing dot (`user.`)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(
            AuditEntry.action.startswith(action) if action.endswith(".") else AuditEntry.action == action
        )
    return list(session.scalars(query))


def trail(session: Session, target: str, family: str) -> list[AuditEntry]:
    """What happened to one thing, oldest first: its entries of one family (`change.`, `problem.`), for its page."""
    return list(session.scalars(trail_query(target, family)))


def trail_query(target: str, family: str) -> Select[AuditEntry]:
    """`trail`'s statement: through the index on `target` (migration 0043), however long the log has grown."""
    query = select(AuditEntry).where(AuditEntry.target == target, AuditEntry.action.startswith(family))
    return query.order_by(AuditEntry.id)
