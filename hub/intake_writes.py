"""The intake's steps as Core statements in the caller's transaction: store an event, count a repeat, take a key's
turn, change a status, add a reply to its thread; and what is recorded of a rules' decision (trace, timeline line).

hub/intake.py decides which case an event is and runs its steps in order; the values the steps take and give
(`Raw`, `Outcome`) are defined here, below it, and callers import them from hub.intake. On SQLite every write
transaction holds the database's one write lock, so each step runs as few statements as it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from hub import mail_records, notices, recipients
from hub.ci_links import Linked
from hub.domain import INCIDENT_KINDS, KIND_WORDS, Decision, InboundEvent, Policy, format_ref
from hub.intake_notices import NoticeSettings
from hub.mail_threads import Thread
from hub.mailboxes import MailboxImport, earlier_import, remember_import
from hub.models import utcnow
from hub.outbox import entry, owe
from hub.prepared import Prepared
from hub.statements import COUNT_REPEAT, INSERT_EVENT, INSERT_TIMELINE, TAKE_DEDUP_TURN, TOUCH


@dataclass(frozen=True)
class Raw:
    """An inbound item exactly as received."""

    source: str
    content_type: str
    body: bytes
    integration_id: int | None = None
    mapping_id: int | None = None  # the kept mapping that read a generic integration's body (hub/kept_mappings.py)


@dataclass(frozen=True)
class Outcome:
    """What became of an event; `incident_id` is None when it touched no incident (e.g. resolve of nothing)."""

    event_id: int
    incident_id: int | None
    incident_status: str | None = None
    occurrences: int = 0
    created: bool = False
    duplicate: bool = False  # a message already applied: from this mailbox before, or a copy (mail_records)
    acknowledged: bool = False  # the requester is owed an acknowledgement with the reference
    files_listed: bool = False  # the email's files are listed already (an agent's reply sent some: hub/agent_mail.py)

    @property
    def ref(self) -> str | None:
        return format_ref(self.incident_id) if self.incident_id is not None else None


def apply_once(conn: Connection, item: MailboxImport | None, apply: Callable[[], Outcome]) -> Outcome:
    """Apply a mailbox's message unless it was imported before, and remember it in the same transaction."""
    if item is None:
        return apply()
    earlier = earlier_import(conn, item)
    if earlier is not None:
        return Outcome(earlier[0] or 0, earlier[1], duplicate=True)
    outcome = apply()
    remember_import(conn, item, outcome.event_id)
    return outcome


def store_event(
    conn: Connection,
    raw: Raw,
    event: InboundEvent | None,
    *,
    incident_id: int | None = None,
    status: str = "processed",
    error: str | None = None,
    trace: dict[str, Any] | None = None,
) -> int:
    """Keep the item as received, with what became of it; returns the event's id."""
    event_id = INSERT_EVENT.scalar(
        conn,
        {
            "source": raw.source,
            "integration_id": raw.integration_id,
            "mapping_id": raw.mapping_id,
            "received_at": utcnow(),
            "content_type": raw.content_type,
            "raw": raw.body,
            "status": status,
            "error": error,
            "message_id": event.message_id if event is not None else None,
            "incident_id": incident_id,
            "trace": trace,
        },
    )
    assert event_id is not None
    return int(event_id)


#: The most dedup turns (advisory locks) one transaction takes. PostgreSQL keeps every lock a transaction holds
#: until it ends, in a table all sessions share (64 per connection by default): a batch of thousands of new keys
#: must not fill it. Past this many, a race for a key costs at worst an unused incident number.
TURNS_PER_TRANSACTION = 100


def took_dedup_turn(conn: Connection, raw: Raw, event: InboundEvent) -> bool:
    """On PostgreSQL, wait for any concurrent transaction opening this key's incident to end (see TAKE_DEDUP_TURN);
    False on SQLite (one writer at a time) and past TURNS_PER_TRANSACTION."""
    if conn.dialect.name != "postgresql":
        return False
    transaction = conn.get_transaction()
    taken = conn.info.get("dedup_turns")
    if taken is None or taken[0] is not transaction:
        taken = conn.info["dedup_turns"] = [transaction, 0]
    if taken[1] >= TURNS_PER_TRANSACTION:
        return False
    taken[1] += 1
    TAKE_DEDUP_TURN.execute(conn, {"ident": f"{raw.integration_id}:{event.dedup_key}"})
    return True


def count_repeat(conn: Connection, raw: Raw, event: InboundEvent) -> Outcome | None:
    """Count a repeat on the open incident with this dedup key in one atomic UPDATE; None if there is none."""
    row = COUNT_REPEAT.first(conn, {"key": event.dedup_key, "integration": raw.integration_id, "now": utcnow()})
    if row is None:
        return None
    incident_id, status, occurrences = row
    event_id = store_event(conn, raw, event, incident_id=incident_id, status="deduplicated")
    return Outcome(event_id, incident_id, status, occurrences)


@dataclass(frozen=True)
class Changed:
    """An incident whose status an event just changed."""

    id: int
    occurrences: int
    title: str
    assignee: str | None


def change_status(
    conn: Connection, raw: Raw, event: InboundEvent, statement: Prepared, status: str, summary: str
) -> tuple[Outcome, Changed | None]:
    """Move the open incident with the event's dedup key to `status`; an event for no open incident is kept
    but touches nothing (as PagerDuty does for acknowledge/resolve of an unknown key)."""
    row = statement.first(conn, {"key": event.dedup_key, "integration": raw.integration_id, "now": utcnow()})
    if row is None:
        error = f"{event.action.value} for a dedup key with no open incident to change"
        event_id = store_event(conn, raw, event, status="ignored", error=error)
        return Outcome(event_id, None), None
    changed = Changed(*row)
    event_id = store_event(conn, raw, event, incident_id=changed.id)
    INSERT_TIMELINE.execute(conn, entry(changed.id, status, summary, event_id=event_id))
    return Outcome(event_id, changed.id, status, changed.occurrences), changed


def add_to_thread(
    conn: Connection, raw: Raw, incident: Thread, event: InboundEvent, tell: NoticeSettings | None
) -> Outcome:
    """A reply on an incident still being worked: on its timeline, and (with `tell`) its assignee and watchers are
    told what the requester wrote; not for automatic mail, since an out-of-office says nothing to act on, nor for
    mail whose sender check failed: the notice would hand its words on as the requester's, where the timeline shows
    them under a warning (a softfail's are told: unverified, not forged; the timeline and the notice mark them)."""
    TOUCH.execute(conn, {"incident": incident.id, "now": utcnow()})
    event_id = store_event(conn, raw, event, incident_id=incident.id)
    unverified = " (sender not verified)" if event.sender_unverified else ""
    summary = f"Reply from {event.requester or 'unknown sender'}{unverified}: {event.title}"
    data = mail_records.thread_data(event)
    replied = entry(incident.id, "email", summary, event_id=event_id, data=data)
    owed: list[notices.Notice] = []
    declined: list[dict[str, Any]] = []
    automatic = event.auto_submitted or event.bounce or event.looped
    if tell is not None and event.requester and not automatic and not event.sender_failed:
        text = tell.newest(event.description)
        owed, declined = recipients.reply_notices(conn, incident.id, requester=event.requester, text=text,
                                                  sender=tell.sender, unverified=event.sender_unverified)  # fmt: skip
    owe(conn, incident.id, owed, also=[replied, *declined])
    return Outcome(event_id, incident.id, incident.status, incident.occurrences)


def count_params(raw: Raw, event: InboundEvent, policy: Policy) -> dict[str, Any]:
    """THRESHOLD_COUNT's parameters: this event's key, counted within the policy's window back from now."""
    now = utcnow()
    since = now - timedelta(seconds=policy.threshold_window or 0)
    return {"integration": raw.integration_id, "key": event.dedup_key, "now": now, "since": since}


def trace_record(decision: Decision) -> dict[str, Any]:
    """What is stored with the event: the matching rules (with their conditions and what each set) and the result."""
    result = {
        "priority": decision.priority,
        "category": decision.category,
        "kind": decision.kind,
        "assignee": decision.assignee,
        "service": decision.service,
        "tags": list(decision.tags),
        "impact": decision.impact,
        "urgency": decision.urgency,
        "title": decision.title,
        "dedup_key": decision.dedup_key,
        "ci": decision.ci,
        "channels": list(decision.channels),
        "suppressed": decision.suppressed,
    }
    return {"rules": decision.trace_json(), "evaluated": decision.evaluated, "decision": result}


def opened_summary(decision: Decision, event: InboundEvent, ci: Linked | None = None) -> str:
    """The opening's line on the timeline: how it was opened, as what, and what the rules chose for it."""
    if event.chosen is not None:
        parts = [f"Logged by {event.chosen.by} ({event.labels.get('channel', 'by hand')}) as P{decision.priority}"]
    else:
        parts = [f"Opened as P{decision.priority}"]
    if decision.silenced_by is not None:
        parts.append(f"silenced by silence {decision.silenced_by} (no notifications)")
    if decision.kind_of(event) != INCIDENT_KINDS[0]:
        parts.append(f"a {KIND_WORDS[decision.kind_of(event)]}")
    if decision.category:
        parts.append(f"category {decision.category}")
    if decision.service:
        parts.append(f"service {decision.service}")
    if ci is not None:
        parts.append(f"CI {ci.name}" + (f" (service {ci.service})" if ci.service and not decision.service else ""))
    if decision.assignee:
        parts.append(
            f"assigned to {decision.assignee}"
            + (f" (group {decision.assigned_from})" if decision.assigned_from else "")
        )
    if decision.tags:
        parts.append(f"tags {', '.join(decision.tags)}")
    if event.sender_unverified:
        parts.append("sender not verified")
    return ", ".join(parts)


def suppressed(conn: Connection, raw: Raw, event: InboundEvent, decision: Decision) -> Outcome:
    """A rule suppressed the event: kept, with the trace saying which rule and why, but no incident."""
    rule = next((step.rule for step in decision.trace if "suppress" in step.sets), "a rule")
    error = f"suppressed by rule {rule!r}"
    return Outcome(store_event(conn, raw, event, status="suppressed", error=error, trace=trace_record(decision)), None)
