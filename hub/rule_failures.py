"""Where each rule's templates failed at run time lately, read back from the traces stored with the newest events.

A template that fails on an event (a label it reads is missing, a filter meets the wrong type) leaves its field
alone and says so in a note, which only that event's trace and its incident's timeline kept: the rules pages read
the notes back here, so the admin sees which rule to fix without opening incidents one by one. Only events that
came after the rule's row last changed count: a fixed rule stops being blamed at once, and a rule id that a
restore or an import gave another rule never inherits the old one's failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.domain import TEMPLATE_NOTE
from hub.models import Event, Rule

#: How many of the newest events are read: enough to show a failing rule, few enough for every list page's load.
SCANNED = 1000
#: When a rule no longer stored last changed: never, so none of its failures count.
_GONE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RuleFailures:
    """One rule's template failures among the newest events: how many, and the latest's event, incident and note."""

    count: int
    event_id: int
    incident_id: int | None
    note: str


def failures_in(
    rows: Iterable[tuple[int, int | None, datetime, Any]], changed: Mapping[int, datetime]
) -> dict[int, RuleFailures]:
    """Each rule's template failures in `rows` (event id, incident id, received at, stored trace; newest first)
    that came after the rule last `changed` (a rule not in it is gone, and has none)."""
    found: dict[int, RuleFailures] = {}
    for event_id, incident_id, received_at, trace in rows:
        steps = trace.get("rules") if isinstance(trace, Mapping) else None
        for step in steps if isinstance(steps, list) else ():
            rule_id = step.get("rule_id") if isinstance(step, Mapping) else None
            if not isinstance(rule_id, int) or received_at < changed.get(rule_id, _GONE):
                continue
            notes = [str(n) for n in step.get("notes") or () if str(n).startswith(TEMPLATE_NOTE)]
            if not notes:
                continue
            seen = found.get(rule_id)
            if seen is None:
                found[rule_id] = RuleFailures(1, event_id, incident_id, notes[0])
            else:
                found[rule_id] = RuleFailures(seen.count + 1, seen.event_id, seen.incident_id, seen.note)
    return found


def recent(session: Session, scanned: int = SCANNED) -> dict[int, RuleFailures]:
    """Each rule's template failures among the newest `scanned` events (two queries, the events' by primary key)."""
    changed = {rule_id: at for rule_id, at in session.execute(select(Rule.id, Rule.updated_at))}
    rows = session.execute(
        select(Event.id, Event.incident_id, Event.received_at, Event.trace)
        .where(Event.trace.is_not(None))
        .order_by(Event.id.desc())
        .limit(scanned)
    )
    return failures_in(((i, n, at, trace) for i, n, at, trace in rows), changed)
