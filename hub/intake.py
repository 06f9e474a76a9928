"""The one transaction per inbound item: store it as received, apply the rules' decision, write the outbox.

Adapters (ingest/) hand in the raw bytes and the typed event they made of them; the rules engine is passed in
as a function, so the hub never imports upwards. Nothing is acknowledged to a sender until this commits.

This is the ingest hot path, and on SQLite every write transaction holds the database's one write lock, so it is
written in SQLAlchemy Core with as few statements as each case needs: a repeat of an open incident is one UPDATE
and one INSERT. Work that needs no lock (composing notices, the rules' decision) uses only what it is handed.

This module decides which case an event is and in what order its steps run; the statements of each step are in
hub/intake_writes.py, and what the change owes people and channels in hub/intake_notices.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection

from hub import (
    agent_mail,
    contacts,
    copied,
    desks,
    escalation,
    mail_records,
    merged_requesters,
    over_rules,
    recipients,
    request_approvals,
    request_steps,
    request_types,
    service_owners,
    sla,
    sla_pauses,
)
from hub.approvals import AskedAbout
from hub.attachments import DEFAULT_LIMITS, AttachmentStore
from hub.change_correlation import minutes_since_change
from hub.ci_links import CiLinks, Linked, named_by, why_not_linked
from hub.db import Database, Guard
from hub.domain import (
    NO_POLICY,
    NO_STATE,
    Action,
    Chosen,
    Decision,
    InboundEvent,
    Policy,
    RoutingState,
    RuleBook,
    fit_to_columns,
    format_ref,
)
from hub.errors import BadInput
from hub.group_commit import GroupCommitter
from hub.groups import advance_pointer, routing_state
from hub.intake_notices import IntakeNotices, NoticeSettings
from hub.intake_writes import (
    Changed,
    Outcome,
    Raw,
    add_to_thread,
    apply_once,
    change_status,
    count_params,
    count_repeat,
    opened_summary,
    store_event,
    suppressed,
    took_dedup_turn,
    trace_record,
)
from hub.mail_threads import Thread, find_thread, follow_up_title, reply_route, thread_of
from hub.mailboxes import MailboxImport
from hub.models import utcnow
from hub.outbox import entry, is_active_user, mark_bounced
from hub.problems import link_new_incident
from hub.recurrence import Occurrence
from hub.request_types import Routing
from hub.revisions import Revisions
from hub.rulebook import RuleBookCache
from hub.statements import (
    ACKNOWLEDGE,
    CLEAR_COUNT,
    INSERT_INCIDENT,
    INSERT_INCIDENT_UNLESS_OPEN,
    INSERT_TIMELINE,
    REOPEN,
    REOPEN_BY_ID,
    RESOLVE,
    THRESHOLD_COUNT,
)
from hub.thanks import only_thanks

#: What callers import from here; Raw and Outcome are defined with the writes that take and give them.
__all__ = ["Decide", "Intake", "InvalidChoice", "Outcome", "Raw"]

#: The rules field for "a change on this service in the last N minutes".
CHANGE_MINUTES = "change.minutes_ago"

#: The rules engine, passed in: (event, rule book, now, routing state) -> decision. Pure: state is looked up here.
Decide = Callable[[InboundEvent, RuleBook, datetime, RoutingState], Decision]

#: The decision for an event, with the active request type it names (None for all but help-centre requests): read
#: once, for the decision's defaults and for the incident it opens (its type, and the approval its approver owes).
Decided = tuple[Decision, Routing | None]


class InvalidChoice(BadInput):
    """What the agent who logged an incident by hand chose cannot be (an assignee who is no active user, a CI that is
    no active CI); `field` names which, so a form can say it beside that field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class Intake:
    """Turns typed events into incident changes. One instance per process (it caches the rule book)."""

    def __init__(
        self,
        db: Database,
        decide: Decide,
        notice_settings: NoticeSettings,
        *,
        files: AttachmentStore | None = None,
        authserv_id: str | None = None,
    ) -> None:
        self.db = db
        self.files = files  # where the edges write emails' attachments before recording them (hub/attachments.py)
        # Whose Authentication-Results header the edges believe when they read a message (ingest/mail_auth.py):
        # carried here, as `files` is, so every edge that records mail through this intake judges senders alike.
        self.authserv_id = authserv_id
        self._committer = GroupCommitter(db, timeout=max(30.0, 3 * db.timeout))
        self._decide = decide
        self._settings = notice_settings
        self._revisions = Revisions()  # one read of the caches' versions per transaction
        self._notices = IntakeNotices(notice_settings, self._revisions)  # what people and channels are owed
        self._rules = RuleBookCache()
        self._sla = sla.SlaBookCache()
        self._cis = CiLinks()  # the configuration items events have named
        self._limits = files.limits if files is not None else DEFAULT_LIMITS  # what an agent's emailed reply sends

    def record(
        self,
        raw: Raw,
        event: InboundEvent,
        *,
        policy: Policy = NO_POLICY,
        once: MailboxImport | None = None,
        reprocessing: int | None = None,
    ) -> Outcome:
        """Store and apply one event; returns once it is committed. Raises StorageUnavailable if it was not.

        Events arriving together on several threads share a transaction (group commit); each is applied in
        arrival order and sees the ones before it, so dedup within a batch is exact. With `once`, a message
        this mailbox already gave us is recognised in the same transaction and not applied again. With
        `reprocessing`, the unprocessable event of that id is claimed in the same transaction (AlreadyReprocessed
        if someone did first), so a message is never applied twice.
        """
        event = fit_to_columns(event)
        if reprocessing is not None and event.source != "email":  # a webhook body read again (ingest/reprocess.py)
            return self._committer.run(lambda conn: self._reapplied(conn, raw, event, policy, reprocessing))
        if event.source != "email":
            return self._committer.run(
                lambda conn: apply_once(conn, once, lambda: self._apply(conn, raw, event, policy))
            )
        mail = self._mail
        return self._committer.run(
            lambda conn: apply_once(conn, once, lambda: mail(conn, raw, event, policy, reprocessing))
        )

    def record_guarded(
        self, items: Sequence[tuple[Raw, InboundEvent]], guard: Guard, *, policy: Policy = NO_POLICY
    ) -> list[Outcome]:
        """Store and apply events a person or a token sent (an incident logged by hand, an integration's test
        alert) as `record_batch` does, once `guard` (who acts may still act) passes inside the write transaction,
        before their first write.

        The guarded `Database` cannot serve here: this transaction may be shared with other requests' events (group
        commit), and a refusal must not refuse them. Raised as these events' first step, it fails the shared
        transaction, and `GroupCommitter` then commits each request's events on their own, so only these are
        refused. A method apart from `record`, so the webhooks and mail pay nothing for it.
        """
        fitted = [(raw, fit_to_columns(event)) for raw, event in items]

        def checked_then_applied(conn: Connection) -> list[Outcome]:
            guard(conn)
            return self._apply_in_key_order(conn, fitted, policy)

        return self._committer.run(checked_then_applied)

    def _reapplied(self, conn: Connection, raw: Raw, event: InboundEvent, policy: Policy, reprocessing: int) -> Outcome:
        """A kept body applied at last, the unprocessable event claimed in the same transaction (as `_mail` does)."""
        mail_records.claim(conn, reprocessing)
        outcome = self._apply(conn, raw, event, policy)
        mail_records.reprocessed_as(conn, reprocessing, outcome.event_id)
        return outcome

    def _mail(
        self, conn: Connection, raw: Raw, event: InboundEvent, policy: Policy, reprocessing: int | None
    ) -> Outcome:
        """An email: the sender remembered as a contact, then the event applied, then its files listed and the
        people the requester copied kept (hub/copied.py); a copy of a message we have already applied is kept, but
        not applied again."""
        if reprocessing is not None:
            mail_records.claim(conn, reprocessing)
        elif (copy := mail_records.earlier_copy(conn, raw.body, event)) is not None:
            earlier, incident_id = copy
            why = f"a copy of event {earlier} (same Message-ID, From and Date): applied once already"
            stored = store_event(conn, raw, event, incident_id=incident_id, status="ignored", error=why)
            return Outcome(stored, incident_id, duplicate=True)
        event = mail_records.before(conn, event)
        outcome = self._apply(conn, raw, event, policy)
        if not outcome.files_listed:
            mail_records.after(conn, event, outcome.event_id, outcome.incident_id)
        if outcome.incident_id is not None:  # the people the requester copied stay in the conversation
            sender = self._settings.sender
            copied.remember(conn, outcome.incident_id, event, desks=(sender.desk_address, *sender.desks))
        if reprocessing is not None:
            mail_records.reprocessed_as(conn, reprocessing, outcome.event_id)
        return outcome

    def record_batch(self, items: Sequence[tuple[Raw, InboundEvent]], *, policy: Policy = NO_POLICY) -> list[Outcome]:
        """Store and apply several events (one sender's batch) in one transaction, in order, all or none.

        `policy` is the sending integration's: reopen window and threshold. The events are applied in the order of
        their dedup keys, whatever the sender's: a new key's turn and a repeat's incident row are locks held till
        the commit, and two batches reaching the same keys in opposite orders would each wait for the other. The
        keys are the ones the events will be deduplicated on, so a rule that sets the dedup key is asked first. The
        sort is stable, so one key's events keep the sender's order; the outcomes come back in it too.
        """
        fitted = [(raw, fit_to_columns(event)) for raw, event in items]
        return self._committer.run(lambda conn: self._apply_in_key_order(conn, fitted, policy))

    def _apply_in_key_order(
        self, conn: Connection, fitted: Sequence[tuple[Raw, InboundEvent]], policy: Policy
    ) -> list[Outcome]:
        keys = self._dedup_keys(conn, [event for _, event in fitted])
        outcomes = {i: self._apply(conn, *fitted[i], policy) for i in sorted(range(len(fitted)), key=keys.__getitem__)}
        return [outcomes[i] for i in range(len(fitted))]

    def record_unprocessable(self, raw: Raw, error: str, *, once: MailboxImport | None = None) -> int:
        """Keep an item we could not understand, with the reason, so it can be fixed and reprocessed."""

        def keep(conn: Connection) -> Outcome:
            return Outcome(store_event(conn, raw, None, status="unprocessable", error=error[:2000]), None)

        return self._committer.run(lambda conn: apply_once(conn, once, lambda: keep(conn))).event_id

    def record_ignored(self, raw: Raw, reason: str, *, guard: Guard | None = None) -> int:
        """Keep an item that asks nothing of us (e.g. a downtime notice), with the reason it changed nothing;
        `guard`, for an item a person sends, checks first that they may still (as in `record_guarded`)."""

        def keep(conn: Connection) -> int:
            if guard is not None:
                guard(conn)
            return store_event(conn, raw, None, status="ignored", error=reason[:2000])

        return self._committer.run(keep)

    # -- the decision, applied -------------------------------------------------------------------------

    def _apply(self, conn: Connection, raw: Raw, event: InboundEvent, policy: Policy = NO_POLICY) -> Outcome:
        if event.chosen is not None:  # someone's call, logged by an agent: the caller is a contact, as a sender is
            event = contacts.remember_sender(conn, event)
        if event.source == "email":
            if event.bounce and event.labels.get("bounced"):
                mark_bounced(conn, event.labels["bounced"].split(", "), f"bounce: {event.title}")
            thread = find_thread(conn, event)
            if thread is not None:
                # An agent answering from their mailbox: their reply, note or status line, as on the page, a
                # resolved incident's included, which it never reopens (no query unless the server verified a From
                # that is not the requester's).
                if (worked := agent_mail.work(conn, raw, thread, event, self._settings, self._limits)) is not None:
                    return worked
                return self._answer(conn, raw, thread, event, policy, self._route(thread, event))
            if event.bounce or event.looped:
                # Never an incident of its own: it would answer mail with mail, the way loops start.
                why = "a bounce that refers to no incident" if event.bounce else "our own notification came back"
                return Outcome(store_event(conn, raw, event, status="ignored", error=why), None)
        if event.action is Action.RESOLVE:
            return self._resolve(conn, raw, event, policy)
        if event.action is Action.ACKNOWLEDGE:
            summary = f"Acknowledged by {event.source} event"
            acknowledged, changed = change_status(conn, raw, event, ACKNOWLEDGE, "acknowledged", summary)
            if changed is not None:
                sla_pauses.refresh(conn, changed.id)  # the first response is in
            return acknowledged
        decided: Decided | None = None
        book = self._rules.current(conn, self._revisions)
        if book.decides_before_dedup:
            # A rule may suppress the event or give it another dedup key: decide before deduplicating on it.
            decided = self._decision(conn, event, book)
            decision = decided[0]
            if decision.suppressed:
                return suppressed(conn, raw, event, decision)
            if decision.dedup_key:
                event = replace(event, dedup_key=decision.dedup_key)
        if event.dedup_key:
            repeat = count_repeat(conn, raw, event)
            if repeat is None and took_dedup_turn(conn, raw, event):
                # A concurrent transaction may have been opening this key's incident: we waited, so look again.
                repeat = count_repeat(conn, raw, event)
            if repeat is not None:
                return repeat
            if policy.reopen_window:
                reopened = self._reopen(conn, raw, event, policy)
                if reopened is not None:
                    return reopened
            if policy.threshold and policy.threshold_window and raw.integration_id is not None:
                count = THRESHOLD_COUNT[conn.dialect.name].scalar(conn, count_params(raw, event, policy))
                if count < policy.threshold:
                    note = (
                        f"{count} of {policy.threshold} events within {policy.threshold_window} s: below the threshold"
                    )
                    return Outcome(store_event(conn, raw, event, status="held", error=note), None)
                CLEAR_COUNT.execute(conn, {"integration": raw.integration_id, "key": event.dedup_key})
                return self._open(conn, raw, event, policy, occurrences=count, decided=decided)
        return self._open(conn, raw, event, policy, decided=decided)

    def _dedup_keys(self, conn: Connection, events: Sequence[InboundEvent]) -> list[str]:
        """The key each event's incident is looked up and locked by: the sender's, or the one a rule gives a
        trigger (rules are pure, so asking them here and again in _apply gives the same key)."""
        book = self._rules.current(conn, self._revisions)
        if not book.decides_before_dedup:
            return [event.dedup_key or "" for event in events]
        return [
            (self._decision(conn, event, book)[0].dedup_key if event.action is Action.TRIGGER else None)
            or event.dedup_key
            or ""
            for event in events
        ]

    def _decision(self, conn: Connection, event: InboundEvent, book: RuleBook) -> Decided:
        """The rules' decision, given the state of the groups the rule book assigns within, and the request type the
        event names (no query for an event that names none)."""
        groups = book.assignment_groups
        now = utcnow()
        service = event.labels.get("service")
        if CHANGE_MINUTES in book.fields_used and service:  # only when a rule asks: it costs an indexed read
            facts = {**event.facts, CHANGE_MINUTES: minutes_since_change(conn, service, now)}
            event = replace(event, facts=MappingProxyType(facts))
        decision = self._decide(event, book, now, routing_state(conn, groups, now) if groups else NO_STATE)
        if event.chosen is not None:  # logged by hand: the agent's choices win (laid over below)
            _check_chosen_assignee(conn, event.chosen)
        # the agent's choices, then a desk's and a request type's defaults over catch-all rules, as trials lay them
        requested = request_types.routing(conn, event.request_type)
        decision = over_rules.laid_over(decision, event, book, desks.find(conn, event.desk_address), requested)
        return decision, requested

    def record_reply(
        self, raw: Raw, event: InboundEvent, incident_id: int, check: Callable[[Thread | None, str], None]
    ) -> Outcome:
        """Store and apply a requester's reply sent from their request's page (hub/requester_replies.py) as their
        emailed reply to `incident_id` is applied: added, reopening it or recorded as thanks alike. `check` is
        handed the incident as the transaction reads it (None when there is none) and what the reply would do to
        it (`_route`), and raises to refuse the reply before anything is written: not theirs now, or a reply that
        would start a new request ("follow_up"), which mail may do and a page may not."""
        event = fit_to_columns(event)

        def answered(conn: Connection) -> Outcome:
            thread = thread_of(conn, incident_id, hops=0)
            route = self._route(thread, event) if thread is not None else ""
            check(thread, route)
            assert thread is not None  # `check` refuses a reply to no incident
            outcome = self._answer(conn, raw, thread, event, NO_POLICY, route)
            mail_records.after(conn, event, outcome.event_id, outcome.incident_id)  # its files, as an email's
            return outcome

        return self._committer.run(answered)

    def _route(self, thread: Thread, event: InboundEvent) -> str:
        """What a requester's reply to `thread` does (hub/mail_threads.py::reply_route)."""
        automatic = event.auto_submitted or event.bounce or event.looped
        return reply_route(thread, automatic=automatic, now=utcnow(), sender_failed=event.sender_failed,
                           reopen_window=self._settings.reply_reopen_window,
                           thanks=lambda: self._only_thanks(event))  # fmt: skip

    def _answer(
        self, conn: Connection, raw: Raw, thread: Thread, event: InboundEvent, policy: Policy, route: str
    ) -> Outcome:
        """A requester's reply to `thread` applied as `route` says: thanks, a reopening, a follow-up, or added."""
        if route == "thanks":
            return self._thanks(conn, raw, thread, event)
        if route == "reopen":
            return self._reopen_by_reply(conn, raw, thread, event, policy)
        if route == "follow_up":
            return self._follow_up(conn, raw, thread, event, policy)
        # The requester answered: the SLA clocks run again (not for mail that may not be theirs).
        if thread.status == sla_pauses.WAITING and not event.sender_failed:
            sla_pauses.stop_waiting(conn, self._sla.current(conn, self._revisions), thread.id, "the requester replied")
        return add_to_thread(conn, raw, thread, event, self._settings)

    def _reopen_by_reply(
        self, conn: Connection, raw: Raw, thread: Thread, event: InboundEvent, policy: Policy
    ) -> Outcome:
        """The requester answered a resolved incident: it is not fixed after all."""
        row = REOPEN_BY_ID.first(conn, {"incident": thread.id, "now": utcnow()})
        if row is None:  # changed under us (reopened by someone else a moment ago): just add the reply
            return add_to_thread(conn, raw, thread, event, self._settings)
        changed = Changed(*row)
        sla_pauses.refresh(conn, changed.id, reopened=True)
        outcome = add_to_thread(conn, raw, thread, event, None)  # the reopening's notice tells them
        who = event.requester or "the requester"
        reopened = entry(changed.id, "reopened", f"Reopened by a reply from {who}", event_id=outcome.event_id)
        owed, notes = recipients.state_change_notices(
            conn,
            changed.id,
            "reopened",
            source=f"a reply from {who}",
            sender=self._settings.sender,
            skip=[event.requester or ""],
            said=self._settings.newest(event.description),
            unverified=event.sender_unverified,
        )
        self._notices.notify(conn, raw.integration_id, event, policy, changed.id, owed, also=[reopened, *notes])
        return Outcome(outcome.event_id, changed.id, "open", changed.occurrences)

    def _only_thanks(self, event: InboundEvent) -> bool:
        """Whether a reply's new words (its quoted history cut) are only thanks, with nothing attached."""
        if event.mail is not None and event.mail.attachments:
            return False
        return only_thanks(self._settings.newest(event.description))

    def _thanks(self, conn: Connection, raw: Raw, thread: Thread, event: InboundEvent) -> Outcome:
        """The requester thanked us for a resolved incident: their thanks go on its timeline, and it stays as it is,
        with no one mailed (the assignee sees it there; a notice would be one more mail that asks nothing)."""
        event_id = store_event(conn, raw, event, incident_id=thread.id)
        who = event.requester or "the requester"
        thanked = entry(thread.id, "email", f"Thanks from {who}: {event.title}", event_id=event_id,
                        data={**mail_records.thread_data(event), "thanks": True})  # fmt: skip
        INSERT_TIMELINE.execute_many(conn, [thanked])
        return Outcome(event_id, thread.id, thread.status, thread.occurrences)

    def _follow_up(self, conn: Connection, raw: Raw, thread: Thread, event: InboundEvent, policy: Policy) -> Outcome:
        """A reply long after the incident was resolved (or once it was closed) is new trouble: a new incident that
        names the old one, so whoever takes it can read what happened before, under the old one's title when the
        reply's subject is only that behind "Re:" (`follow_up_title`); its acknowledgement names the old one too."""
        old = format_ref(thread.id)
        labels = MappingProxyType({**event.labels, "follows": old})
        title = follow_up_title(event.title, thread.title or "")
        outcome = self._open(conn, raw, replace(event, labels=labels, thread_ref=None, title=title), policy)
        if outcome.incident_id is not None:
            new = format_ref(outcome.incident_id)
            INSERT_TIMELINE.execute_many(conn, [
                entry(outcome.incident_id, "related", f"Follow-up of {old} ({thread.status})", data={"follows": old}),
                entry(thread.id, "related", f"Follow-up opened as {new}: a reply came after it was {thread.status}",
                      data={"follow_up": new}),
            ])  # fmt: skip
        return outcome

    def _reopen(self, conn: Connection, raw: Raw, event: InboundEvent, policy: Policy) -> Outcome | None:
        """Reopen the incident with this key if it resolved less than the policy's reopen window ago."""
        now = utcnow()
        since = now - timedelta(seconds=policy.reopen_window or 0)
        params = {"key": event.dedup_key, "integration": raw.integration_id, "since": since}
        row = REOPEN.first(conn, {**params, "now": now})
        if row is None:
            return None
        changed = Changed(*row)
        sla_pauses.refresh(conn, changed.id, reopened=True)
        event_id = store_event(conn, raw, event, incident_id=changed.id)
        reopened = entry(changed.id, "reopened", f"Reopened by {event.source} event", event_id=event_id)
        owed, notes = recipients.state_change_notices(
            conn, changed.id, "reopened", source=f"a new {event.source} alert", sender=self._settings.sender
        )
        self._notices.notify(conn, raw.integration_id, event, policy, changed.id, owed, also=[reopened, *notes])
        return Outcome(event_id, changed.id, "open", changed.occurrences)

    def _open(
        self,
        conn: Connection,
        raw: Raw,
        event: InboundEvent,
        policy: Policy = NO_POLICY,
        *,
        occurrences: int = 1,
        decided: Decided | None = None,
    ) -> Outcome:
        now = utcnow()
        if decided is None:
            decided = self._decision(conn, event, self._rules.current(conn, self._revisions))
        decision, requested = decided
        if decision.suppressed:
            return suppressed(conn, raw, event, decision)
        ci = self._ci(conn, event, decision)
        # The rules' service, else the one the CI supports, so the SLA and the status page follow from the start.
        service = decision.service or (ci.service if ci is not None else None)
        # ... and its owner group when only a catch-all assigned it (hub/service_owners.py), as the trials do
        decision = service_owners.taken(decision, event, self._rules.current(conn, self._revisions),
                                        service, lambda name: service_owners.owner_group(conn, name))  # fmt: skip
        values: dict[str, Any] = {
            "title": (decision.title or event.title)[:500],
            "description": event.description,
            "status": "open",
            "priority": decision.priority,
            "severity": event.severity,
            "category": decision.category,
            "kind": decision.kind_of(event),
            "assignee": decision.assignee,
            "requester": event.requester,
            "source": event.source,
            "dedup_key": event.dedup_key,
            "integration_id": raw.integration_id,
            "occurrences": occurrences,
            "first_seen": now,
            "last_seen": now,
            "labels": dict(event.labels),
            "service": service,
            "tags": list(decision.tags) or None,
            # Kept so the channels hear of the incident's resolution and reopening too, not only of its opening.
            "channels": list(decision.channels) if decision.channels and decision.silenced_by is None else None,
            "ci_id": ci.id if ci is not None else None,
            "request_type_id": requested.id if requested is not None else None,  # for the list's filter
        }
        statement = INSERT_INCIDENT_UNLESS_OPEN[conn.dialect.name] if event.dedup_key else INSERT_INCIDENT
        incident_id = statement.scalar(conn, values)
        if incident_id is None:
            # A concurrent request opened the incident for this dedup key first: count ours on the winner.
            repeat = count_repeat(conn, raw, event)
            if repeat is None:  # the winner was resolved in between; a very rare race, so simply try again
                return self._open(conn, raw, event, policy, occurrences=occurrences, decided=decided)
            return repeat
        if decision.assigned_from and decision.assignee:
            advance_pointer(conn, decision.assigned_from, decision.assignee)
        facts = sla.facts_of(decision.priority, values["service"] or event.labels.get("service"), decision.category,
                             event.labels, values["kind"])  # fmt: skip
        sla_note = sla.start(conn, self._sla.current(conn, self._revisions), incident_id, facts, now)
        trace = decision.trace_json()
        event_id = store_event(conn, raw, event, incident_id=incident_id, trace=trace_record(decision))
        occurrence = Occurrence(incident_id, values["title"], now, event.dedup_key, raw.integration_id,
                                values["service"], decision.category)  # fmt: skip
        known = link_new_incident(conn, incident_id, occurrence)  # a recurrence a problem already covers
        # A silence (maintenance window) lets the incident be opened and counted, but no one is notified.
        silenced = decision.silenced_by is not None
        awaiting = requested is not None and requested.asks_approval  # asked below, told in the acknowledgement
        owed, notes = (
            ([], [])
            if silenced
            else self._notices.owed_notices(conn, incident_id, values, event, known, awaiting_approval=awaiting)
        )
        data = {"rules": trace, **mail_records.opened_data(event)}
        if event.chosen is not None:
            data["by"] = event.chosen.by
        if ci is not None:
            data["ci"] = ci.name
        if silenced:  # read by hub/silenced.py for the list's and the page's marks
            data["silenced_by"] = decision.silenced_by
        opened = entry(incident_id, "opened", opened_summary(decision, event, ci), event_id=event_id, data=data)
        if decision.channels and not silenced:
            to_channels, missing = self._notices.to_channels(conn, incident_id, values, decision.channels)
            owed, notes = [*owed, *to_channels], [*notes, *missing]
        if sla_note is not None:
            notes.append(sla_note)
        if decision.escalation and not silenced:
            notes.append(escalation.start(conn, incident_id, decision.escalation, now))
        self._notices.notify(
            conn, raw.integration_id, event, policy, incident_id, owed, also=[opened, *notes], opened=True
        )
        if requested is not None:  # a help-centre request: its type's approver is asked at once
            about = AskedAbout(incident_id, values["title"], event.requester, event.description or "")
            request_approvals.ask_on_opening(conn, requested, about, self._settings.sender, now)
            # its checklist, as the type has it; a first step of another group's tells that group
            request_steps.copy_on_opening(conn, incident_id, requested.steps, title=values["title"],
                                          priority=values["priority"], sender=self._settings.sender)  # fmt: skip
        acknowledged = any(notice.kind == "acknowledgement" for notice in owed)
        return Outcome(event_id, incident_id, "open", occurrences, created=True, acknowledged=acknowledged)

    def _ci(self, conn: Connection, event: InboundEvent, decision: Decision) -> Linked | None:
        """The active CI the agent, a rule or the event's labels name; no query unless one is named and not seen
        lately. A name that is no active CI links nothing, unless a person chose it: then it is refused, since they
        meant one (an alert's host that is no CI is simply not in the CMDB)."""
        name = named_by(decision, event)
        linked = self._cis.find(conn, name, self._revisions) if name else None
        if linked is None and event.chosen is not None and event.chosen.ci:
            raise InvalidChoice(why_not_linked(conn, event.chosen.ci), "ci")
        return linked

    def _resolve(self, conn: Connection, raw: Raw, event: InboundEvent, policy: Policy) -> Outcome:
        summary = f"Resolved by {event.source} event"
        outcome, changed = change_status(conn, raw, event, RESOLVE, "resolved", summary)
        if changed is None:
            return outcome
        sla_pauses.refresh(conn, changed.id)
        owed, notes = recipients.state_change_notices(
            conn, changed.id, "resolved", source=event.source, sender=self._settings.sender
        )
        self._notices.notify(conn, raw.integration_id, event, policy, changed.id, owed, also=notes)
        merged_requesters.owe_resolution(conn, changed.id, source=event.source, sender=self._settings.sender,
                                         told=owed)  # fmt: skip
        return outcome


def _check_chosen_assignee(conn: Connection, chosen: Chosen) -> None:
    """An agent's assignee is a group's name or an active user: a typo in an address would leave it with no one."""
    if chosen.assignee and "@" in chosen.assignee and not is_active_user(conn, chosen.assignee):
        raise InvalidChoice(
            f"{chosen.assignee} is not an active user; assign to a user, a group, or leave it to the rules", "assignee"
        )
