"""Escalation policies: while an incident stays unacknowledged, tell more people, step by step.

A policy is a list of steps, each a delay (from the previous step) and targets: a person's email, `group:<name>`
(every member), `oncall:<group>` (whoever the group's rotation has on call when the step fires) or
`channel:<name>`. When the last step has fired, the list runs again `repeat` times.

The timing is durable: opening an incident under a policy writes its first step as an `escalations` row in the
same transaction; the dispatcher hands due rows to RQ's scheduler (`enqueue_at`), which survives restarts in Redis;
and a worker fires the step (`fire`), which does nothing if the incident was acknowledged meanwhile. The step
logic itself (`next_step`, `parse_steps`) is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.orm import Session

from hub import channels, mail_choices, named_people, notices, oncall, recipients
from hub.db import Database
from hub.durations import describe_duration, parse_duration
from hub.errors import BadInput
from hub.mail_templates import DEFAULTS, MailTemplates
from hub.models import Escalation, EscalationPolicy, Group, GroupMember, Incident, utcnow
from hub.outbox import entry, owe, turned_down

MAX_STEPS = 20
MAX_REPEAT = 10


@dataclass(frozen=True)
class Step:
    after: timedelta
    notify: tuple[str, ...]


def parse_steps(texts: Sequence[str]) -> list[Step]:
    """`5m:oncall@example.com`, `15m:group:dba,channel:ops-slack`: the delay after the previous step, then whom."""
    if not texts:
        raise BadInput("an escalation policy needs at least one step, like --step 5m:oncall@example.com")
    if len(texts) > MAX_STEPS:
        raise BadInput(f"an escalation policy has at most {MAX_STEPS} steps")
    steps = []
    for text in texts:
        delay, colon, targets = text.partition(":")
        if not colon or not targets.strip():
            raise BadInput(f"{text!r} is not a step; write DELAY:TARGET[,TARGET], e.g. 10m:group:dba")
        after = parse_duration(delay.strip())
        notify = tuple(t.strip() for t in targets.split(",") if t.strip())
        for target in notify:
            _check_target(target)
        steps.append(Step(after, notify))
    return steps


def _check_target(target: str) -> None:
    kind, colon, name = target.partition(":")
    if colon and kind in ("group", "oncall", "channel") and name:
        return
    if "@" in target and not colon:
        return
    raise BadInput(f"{target!r} is not a target; use an email, group:<name>, oncall:<group> or channel:<name>")


def next_step(steps: int, step: int, round_: int, repeat: int) -> tuple[int, int] | None:
    """The (step, round) after `step` of `round_`, or None once the last round's last step has fired."""
    if step + 1 < steps:
        return step + 1, round_
    if round_ < repeat:
        return 0, round_ + 1
    return None


def steps_of(policy: EscalationPolicy | Any) -> list[Step]:
    return [Step(timedelta(seconds=s["after"]), tuple(s["notify"])) for s in policy.steps]


def create_policy(session: Session, name: str, steps: Sequence[Step], repeat: int = 0) -> EscalationPolicy:
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("give the policy a name of at most 100 characters")
    if not 0 <= repeat <= MAX_REPEAT:
        raise BadInput(f"repeat is 0 to {MAX_REPEAT} times")
    if session.scalar(select(EscalationPolicy.id).where(EscalationPolicy.name == name)) is not None:
        raise BadInput(f"an escalation policy named {name!r} already exists")
    _refuse_unknown_targets(session, steps)
    stored = [{"after": int(s.after.total_seconds()), "notify": list(s.notify)} for s in steps]
    row = EscalationPolicy(name=name, repeat=repeat, steps=stored)
    session.add(row)
    session.flush()
    return row


def _refuse_unknown_targets(session: Session, steps: Sequence[Step]) -> None:
    """A person, group or channel no one has made would be paged in vain at 3 a.m.: refuse them now, saying where to
    look."""
    targets = [target.partition(":") for s in steps for target in s.notify]
    conn = session.connection()
    named_people.refuse_unknown_people(conn, [kind for kind, colon, _ in targets if not colon], "escalation target")
    named_people.refuse_unknown_groups(conn, [name for kind, _, name in targets if kind in ("group", "oncall")],
                                       "escalation target")  # fmt: skip
    named_people.refuse_unknown_channels(conn, [name for kind, _, name in targets if kind == "channel"],
                                         "escalation target")  # fmt: skip


def list_policies(session: Session) -> list[EscalationPolicy]:
    return list(session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name)))


_POLICIES = cast(Table, EscalationPolicy.__table__)
_ESCALATIONS = cast(Table, Escalation.__table__)


#: What ends an escalation, and the incident statuses in which it still fires.
STILL_DUE = {"acknowledged": frozenset({"open"}), "resolved": frozenset({"open", "acknowledged"})}


def start(
    conn: Connection, incident_id: int, policy_name: str, now: datetime, *, until: str = "acknowledged"
) -> dict[str, Any]:
    """Owe the first step of `policy_name` for the incident (in the caller's transaction), running until it is
    acknowledged, or with `until="resolved"` until it is resolved; returns the timeline entry that says so, or
    that the policy does not exist."""
    row = conn.execute(select(_POLICIES.c.id, _POLICIES.c.steps).where(_POLICIES.c.name == policy_name)).first()
    if row is None or not row.steps:
        return entry(incident_id, "escalation", f"escalation policy {policy_name!r} does not exist; none started")
    first = timedelta(seconds=row.steps[0]["after"])
    conn.execute(insert(_ESCALATIONS).values(incident_id=incident_id, policy_id=row.id, step=0, round=0,
                                             due_at=now + first, status="scheduled", created_at=now,
                                             until=until))  # fmt: skip
    return entry(incident_id, "escalation", f"Escalates under {policy_name} unless {until} within {first}")


@dataclass(frozen=True)
class Fired:
    """What firing a step did: whom it told, or why it stopped."""

    notified: tuple[str, ...] = ()
    stopped: str | None = None


def fire(
    db: Database,
    escalation_id: int,
    *,
    desk_address: str,
    base_url: str,
    now: datetime | None = None,
    templates: MailTemplates = DEFAULTS,
) -> Fired:
    """Run one due step, once: tell its targets (and the incident's watchers) if the incident still needs it (open,
    or not yet resolved for an escalation `until` resolved), and owe the next step. Safe to run twice: a step no
    longer `queued` or `scheduled` does nothing."""
    now = now or utcnow()
    with db.transaction() as session:
        step = session.get(Escalation, escalation_id, with_for_update=True)
        if step is None or step.status not in ("scheduled", "queued"):
            return Fired(stopped="already handled")
        incident = session.get(Incident, step.incident_id)
        policy = session.get(EscalationPolicy, step.policy_id)
        if incident is None or policy is None:
            step.status = "stopped"
            return Fired(stopped="incident or policy gone")
        if incident.status not in STILL_DUE.get(step.until, STILL_DUE["acknowledged"]):
            step.status = "stopped"
            return Fired(stopped=f"incident is {incident.status}")
        steps = steps_of(policy)
        current = steps[min(step.step, len(steps) - 1)]
        conn = session.connection()
        owed, told, declined = _notices(conn, incident, current.notify, step.step, now, desk_address, base_url,
                                        templates)  # fmt: skip
        step.status = "done"
        following = next_step(len(steps), step.step, step.round, policy.repeat)
        if following is not None:
            index, round_ = following
            session.add(Escalation(incident_id=incident.id, policy_id=policy.id, step=index, round=round_,
                                   due_at=now + steps[index].after, status="scheduled", until=step.until))  # fmt: skip
        summary = (
            f"Not {step.until}: escalated (step {step.step + 1} of {policy.name}) to {', '.join(told) or 'nobody'}"
        )
        owe(conn, incident.id, owed, also=[entry(incident.id, "escalation", summary), *declined])
        return Fired(notified=tuple(told))


def stop_for(conn: Connection, incident_id: int, status: str) -> None:
    """Stop the incident's pending steps that its new `status` ends (acknowledging ends those waiting for an
    acknowledgement, resolving all), so the queue page does not show them; firing checks again anyway."""
    ended = [until for until, due in STILL_DUE.items() if status not in due]
    if not ended:
        return
    conn.execute(
        update(_ESCALATIONS)
        .where(
            _ESCALATIONS.c.incident_id == incident_id,
            _ESCALATIONS.c.status.in_(("scheduled", "queued")),
            _ESCALATIONS.c.until.in_(ended),
        )
        .values(status="stopped")
    )


def _notices(
    conn: Connection,
    incident: Incident,
    targets: Sequence[str],
    step: int,
    now: datetime,
    desk_address: str,
    base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> tuple[list[notices.Notice], list[str], list[dict[str, Any]]]:
    """The step's pages, whom the timeline says it told, and the lines for watchers who chose no such mail (a page
    to a step's target cannot be turned off: someone is counting on it)."""
    owed: list[notices.Notice] = []
    told: list[str] = []
    people: list[str] = []
    for target in targets:
        kind, _, name = target.partition(":")
        reached = oncall.page(conn, name, now) if kind == "oncall" else None
        if reached is not None and reached.who is not None:
            people.append(reached.who)
            told.append(f"{reached.who} (on call for {name}{_passed_over(reached)})")
        elif kind in ("group", "oncall"):  # with no one on call, the whole group: an escalation must reach someone
            members = conn.scalars(
                select(GroupMember.email).join(Group, Group.id == GroupMember.group_id).where(Group.name == name)
            ).all()
            people += members
            whom = f"group {name}"
            if kind == "oncall":
                skipped = _passed_over(reached)
                whom += f" (no one on call can answer{skipped})" if skipped else " (no one on call)"
            told.append(whom if members else f"group {name} (no members)")
        elif kind == "channel":
            facts = channels.incident_facts(kind="escalated", incident_id=incident.id, title=incident.title,
                                            priority=incident.priority, severity=incident.severity, status="open",
                                            assignee=incident.assignee, category=incident.category,
                                            base_url=base_url)  # fmt: skip
            found, _ = channels.channel_notices(conn, [name], facts, desk_address=desk_address, templates=templates)
            owed += found
            told.append(f"channel {name}" if found else f"channel {name} (missing)")
        else:
            people.append(target)
            told.append(target)
    watching = recipients.watchers(conn, incident.id)
    only_watching = set(watching) - {person.lower() for person in people}
    active = mail_choices.of_active(conn, [*people, *watching])
    paged, declined = mail_choices.sift(active, "escalated", incident.priority, watchers=only_watching)
    if any(person in only_watching for person in paged):
        told.append("its watchers")
    for person in paged:
        owed.append(notices.escalation(incident_id=incident.id, title=incident.title, priority=incident.priority,
                                       recipient=person, step=step, desk_address=desk_address, base_url=base_url,
                                       templates=templates))  # fmt: skip
    return owed, told, turned_down(incident.id, "escalated", declined)


def _passed_over(paged: oncall.Paged | None) -> str:
    """What the timeline adds when an `oncall:` step passed someone over, so a reader sees why the page went to
    someone else: "; ann@example.com, on call, is deactivated; bob@example.com, next in line, is deactivated"."""
    if paged is None:
        return ""
    said = [f"; {who}, {'next in line' if n else 'on call'}, {why}" for n, (who, why) in enumerate(paged.passed_over)]
    return "".join(said)


def describe(policy: EscalationPolicy) -> str:
    parts = [
        f"after {describe_duration(timedelta(seconds=step['after']))}: {', '.join(step['notify'])}"
        for step in policy.steps
    ]
    again = f"; then again {policy.repeat} time{'s' if policy.repeat > 1 else ''}" if policy.repeat else ""
    return "; ".join(parts) + again
