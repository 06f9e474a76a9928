"""How an incident's SLA clocks ended, as conditions on its row: the one definition the SLA report counts by and the
incident list's `sla=` filter lists by, so each count's link lists exactly the incidents it counts.

A clock is met when it stopped (first response, resolution) by its due time, breached when it stopped later or is
still running past it as of `now`. The next-update clock of an answered incident under a policy with an update
target is met when the incident resolved with no update deadline missed, breached once one was missed
(`sla_update_missed_at`) or is overdue now.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, literal, or_, select

from hub.models import Incident, SlaPolicy

#: Every outcome the report counts and the list filters by, in the report's column order.
OUTCOMES = (
    "resolution_met",
    "resolution_breached",
    "response_met",
    "response_breached",
    "update_met",
    "update_breached",
)

#: What the list says it is narrowed to, per outcome.
WORDS = {
    "resolution_met": "resolution met",
    "resolution_breached": "resolution breached",
    "response_met": "first response met",
    "response_breached": "first response breached",
    "update_met": "updates kept",
    "update_breached": "update missed",
}


def conditions(now: datetime, update_target: ColumnElement[bool]) -> dict[str, ColumnElement[bool]]:
    """Each of OUTCOMES -> its condition as of `now`; `update_target` says the incident's policy sets an update
    target (the report joins the policy; the list asks it of the policy's primary key)."""
    i = Incident
    running = and_(i.resolved_at.is_(None), i.sla_paused_at.is_(None))
    responded = func.coalesce(i.acknowledged_at, i.resolved_at)
    updates_owed = and_(update_target, i.acknowledged_at.is_not(None))
    update_missed = or_(i.sla_update_missed_at.is_not(None), and_(running, i.sla_update_due_at < literal(now)))
    return {
        "resolution_met": i.resolved_at <= i.sla_due_at,
        "resolution_breached": or_(i.resolved_at > i.sla_due_at, and_(running, i.sla_due_at < literal(now))),
        "response_met": responded <= i.sla_response_due_at,
        "response_breached": or_(
            responded > i.sla_response_due_at,
            and_(responded.is_(None), i.sla_paused_at.is_(None), i.sla_response_due_at < literal(now)),
        ),
        "update_met": and_(updates_owed, i.resolved_at.is_not(None), ~update_missed),
        "update_breached": and_(updates_owed, update_missed),
    }


def listed(outcome: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The incident list's conditions for `outcome` (one of OUTCOMES): under a policy, as the report's join keeps
    them, and the outcome; the policy read by its primary key, per incident the other conditions found."""
    under = select(SlaPolicy.id).where(SlaPolicy.id == Incident.sla_policy_id)
    with_target = under.where(SlaPolicy.next_update.is_not(None)).exists()
    return under.exists(), conditions(now, with_target)[outcome]
