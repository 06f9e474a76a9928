"""SLA warnings and breaches put through the rules like any other event, and applied to the incident they are about.

The sweep (hub/sla.py) runs in the dispatcher, and the dispatcher has no rules engine (outbound imports only the
hub), so the sweep stores each warning and breach as an event with status `pending`. `SlaRules.run` decides on
them with the rules engine it is handed (ingest/pipeline.py builds one and plugs it into the dispatcher's upkeep
through the `switchboard.upkeep` entry points, as layers add CLI commands) and applies what makes sense for an
incident that already exists: it notifies the decision's channels and starts its escalation policy. It never opens
an incident, and leaves assignee, priority and category alone: people own those by now.

A pending event is decided and marked processed in one transaction, so a crash decides it again, never twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Row, select, update

from hub import channels, escalation, notices
from hub.db import Database
from hub.domain import Decision, InboundEvent, format_ref
from hub.groups import routing_state
from hub.intake import Decide
from hub.intake_notices import NoticeSettings
from hub.models import Escalation, EscalationPolicy, Event, Incident, utcnow
from hub.outbox import entry, owe
from hub.rulebook import RuleBookCache
from hub.sla_clocks import CLOCK_NAMES

log = logging.getLogger("switchboard.sla")

SOURCE = "sla"
PENDING = "pending"
#: What `labels.clock` reads for each clock, short enough to type into a rule.
CLOCK_LABELS = {"first_response": "response", "next_update": "update", "resolution": "resolution"}
BATCH = 100


@dataclass(frozen=True)
class IncidentFacts:
    """What of the incident an SLA event carries to the rules."""

    id: int
    title: str
    priority: int
    severity: str
    status: str
    service: str | None = None
    category: str | None = None
    assignee: str | None = None


def as_event(payload: Mapping[str, Any], incident: IncidentFacts) -> InboundEvent:
    """The event the rules see for one stored warning or breach (pure).

    Rules match it on `source` = sla, `labels.sla` = warning|breach, `labels.clock` = response|update|resolution,
    `labels.incident` = INC-n, `labels.priority` = 1..5, `labels.service`, `labels.category`, `labels.assignee`,
    and the incident's `severity`.
    """
    kind = str(payload["kind"])
    clock = str(payload["clock"])
    ref = format_ref(incident.id)
    labels = {
        "sla": kind,
        "clock": CLOCK_LABELS.get(clock, clock),
        "incident": ref,
        "priority": str(incident.priority),
        "service": incident.service,
        "category": incident.category,
        "assignee": incident.assignee,
        "due_at": payload.get("due_at"),
    }
    what = "breached" if kind == "breach" else "warning"
    return InboundEvent(
        source=SOURCE,
        title=f"SLA {what}: {CLOCK_NAMES.get(clock, clock)} of {ref}: {incident.title}"[:500],
        severity=incident.severity,
        labels=MappingProxyType({k: str(v) for k, v in labels.items() if v is not None}),
    )


def trace_record(decision: Decision) -> dict[str, Any]:
    """What is stored with the event: the matching rules and what of the decision was applied."""
    applied = {"channels": list(decision.channels), "escalation": decision.escalation,
               "silenced_by": decision.silenced_by}  # fmt: skip
    return {"rules": decision.trace_json(), "evaluated": decision.evaluated, "decision": applied}


_INCIDENT = (Incident.id, Incident.title, Incident.priority, Incident.severity, Incident.status, Incident.service,
             Incident.category, Incident.assignee)  # fmt: skip


class SlaRules:
    """Decides pending SLA events with the rules and applies the decisions. One per process (it caches the rules)."""

    def __init__(self, db: Database, decide: Decide, notice: NoticeSettings, *, batch: int = BATCH) -> None:
        self.db = db
        self._decide = decide
        self._notice = notice
        self._rules = RuleBookCache()
        self._batch = batch

    def __call__(self) -> int:
        """As an upkeep chore."""
        return self.run()

    def run(self, now: datetime | None = None) -> int:
        """Decide every pending SLA event, oldest first; returns how many."""
        done = 0
        while True:
            with self.db.transaction() as session:
                conn = session.connection()
                rows = conn.execute(
                    select(Event.id, Event.raw, Event.incident_id)
                    .where(Event.status == PENDING, Event.source == SOURCE)
                    .order_by(Event.id)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)  # several dispatchers share the work on PostgreSQL
                ).all()
                for row in rows:
                    self._apply(conn, row, now or utcnow())
            done += len(rows)
            if len(rows) < self._batch:
                break
        if done:
            log.info("rules decided %d SLA event(s)", done)
        return done

    def _apply(self, conn: Connection, row: Row[int, bytes, int | None], now: datetime) -> None:
        found = conn.execute(select(*_INCIDENT).where(Incident.id == row.incident_id)).first()
        if found is None:
            _finish(conn, row.id, "ignored", error="its incident no longer exists")
            return
        incident = IncidentFacts(*found)
        event = as_event(json.loads(row.raw), incident)
        book = self._rules.current(conn)
        try:
            decision = self._decide(event, book, now, routing_state(conn, book.assignment_groups, now))
        except Exception as exc:  # a rule that fails on this event must not stop the others, nor the dispatcher
            log.exception("rules failed on SLA event %d", row.id)
            _finish(conn, row.id, "unprocessable", error=f"the rules failed: {type(exc).__name__}: {exc}"[:2000])
            return
        _finish(conn, row.id, "processed", trace=trace_record(decision))
        if not (decision.channels or decision.escalation):
            return  # nothing for an open incident: the sweep's timeline entry and assignee mail are all that happens
        notes: list[dict[str, Any]] = []
        owed: list[notices.Notice] = []
        held = decision.silenced_by is not None
        if decision.channels and not held:
            facts = channels.incident_facts(
                kind=f"sla {event.labels['sla']}",
                incident_id=incident.id,
                title=incident.title,
                priority=incident.priority,
                severity=incident.severity,
                status=incident.status,
                assignee=incident.assignee,
                category=incident.category,
                base_url=self._notice.base_url,
            )
            owed, missing = channels.channel_notices(conn, decision.channels, facts,
                                                     desk_address=self._notice.desk_addresses[0])  # fmt: skip
            notes += [entry(incident.id, "notification", line) for line in missing]
        if decision.escalation and not held:
            # Someone has it already (a resolution or next-update breach): escalate until it is resolved.
            until = "acknowledged" if incident.status == "open" else "resolved"
            notes.append(_escalate(conn, incident.id, decision.escalation, now, until))
        summary = f"Rules on {event.title.split(':', 1)[0]} ({event.labels['clock']}): " + _applied(decision, held)
        decided = entry(incident.id, "sla_rules", summary, event_id=row.id, data={"rules": decision.trace_json()})
        owe(conn, incident.id, owed, also=[decided, *notes])


def _finish(conn: Connection, event_id: int, status: str, *, error: str | None = None,
            trace: dict[str, Any] | None = None) -> None:  # fmt: skip
    conn.execute(update(Event).where(Event.id == event_id).values(status=status, error=error, trace=trace))


def _escalate(conn: Connection, incident_id: int, policy: str, now: datetime, until: str) -> dict[str, Any]:
    """Start the escalation policy for the incident, unless it already runs under it (every warning would stack
    another copy of the same pages)."""
    running = conn.scalar(
        select(Escalation.id)
        .join(EscalationPolicy, EscalationPolicy.id == Escalation.policy_id)
        .where(
            Escalation.incident_id == incident_id,
            EscalationPolicy.name == policy,
            Escalation.status.in_(("scheduled", "queued")),
        )
        .limit(1)
    )
    if running is not None:
        return entry(incident_id, "escalation", f"Already escalating under {policy}; not started again")
    return escalation.start(conn, incident_id, policy, now, until=until)


def _applied(decision: Decision, held: bool) -> str:
    if held:
        return f"silenced by silence {decision.silenced_by} (no notifications)"
    parts = []
    if decision.channels:
        parts.append(f"notify {', '.join(decision.channels)}")
    if decision.escalation:
        parts.append(f"escalate under {decision.escalation}")
    return "; ".join(parts) or "nothing that applies to an open incident"
