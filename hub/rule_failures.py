"""Where each rule's templates failed at run time lately, read back from the traces stored with the newest events.

A template that fails on an event (a label it reads is missing, a filter meets the wrong type) leaves its field
alone and says so in a note, which only that event's trace and its incident's timeline kept: the rules pages read
the notes back here, so the admin sees which rule to fix without opening incidents one by one. A note counts only
while the rule still has the template it names: a fixed rule stops being blamed at once, moving or disabling one
keeps what it did, and a rule id that a restore or an import gave another rule inherits nothing of the old one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.domain import TEMPLATE_NOTE, RuleSpec
from hub.models import Event

#: How many of the newest events are read: enough to show a failing rule, few enough for every list page's load.
SCANNED = 1000


@dataclass(frozen=True)
class RuleFailures:
    """One rule's template failures among the newest events: how many, and the latest's event, incident and note."""

    count: int
    event_id: int
    incident_id: int | None
    note: str


def notes_of(spec: RuleSpec) -> tuple[str, ...]:
    """How a note about one of the rule's templates as they are now begins (its actions' texts, as the engine
    quotes them in the note)."""
    return tuple(f"{TEMPLATE_NOTE}{value!r} " for value in spec.effects().values() if isinstance(value, str))


def failures_in(
    rows: Iterable[tuple[int, int | None, Any]], templates: Mapping[int, Sequence[str]]
) -> dict[int, RuleFailures]:
    """Each rule's template failures in `rows` (event id, incident id, stored trace; newest first) whose note
    begins as one of the rule's `templates` now does (`notes_of`; a rule not in it is gone, and has none)."""
    found: dict[int, RuleFailures] = {}
    for event_id, incident_id, trace in rows:
        steps = trace.get("rules") if isinstance(trace, Mapping) else None
        for step in steps if isinstance(steps, list) else ():
            rule_id = step.get("rule_id") if isinstance(step, Mapping) else None
            current = tuple(templates.get(rule_id, ())) if isinstance(rule_id, int) else ()
            notes = [str(n) for n in step.get("notes") or () if current and str(n).startswith(current)]
            if not isinstance(rule_id, int) or not notes:
                continue
            seen = found.get(rule_id)
            if seen is None:
                found[rule_id] = RuleFailures(1, event_id, incident_id, notes[0])
            else:
                found[rule_id] = RuleFailures(seen.count + 1, seen.event_id, seen.incident_id, seen.note)
    return found


def recent(session: Session, specs: Iterable[RuleSpec], scanned: int = SCANNED) -> dict[int, RuleFailures]:
    """The template failures of the rules `specs` (as stored now) among the newest `scanned` events (one query,
    by the primary key)."""
    rows = session.execute(
        select(Event.id, Event.incident_id, Event.trace)
        .where(Event.trace.is_not(None))
        .order_by(Event.id.desc())
        .limit(scanned)
    )
    return failures_in(((i, n, trace) for i, n, trace in rows), {s.id: notes_of(s) for s in specs})
