"""Changing an SLA policy or a business calendar, and what becomes of the clocks running under it.

A change of targets, calendar or warning share would otherwise reach only incidents opened afterwards, leaving the
unresolved ones measured against terms no longer in force; and a change of whom a policy is for (priority, service,
category, organisation) would leave incidents it no longer fits under it. So each change re-plans, in its own
transaction, the unresolved incidents whose clocks run under the policy (or under every policy on the calendar),
as removing a policy does (hub/sla_replanning.py): under the policy that now fits them, from their opening and
standing still through their waits on the requester, or with no clocks when none does. An incident left under the
same policy with the same terms keeps its clocks as they are, and only those whose due times moved get a timeline
line.

As with a policy added, incidents running under other policies are not moved under a changed one that now fits them
better: a policy's scope reaches incidents opened from then on. The checks are hub/catalogue.py's and
hub/calendars.py's, shared with the forms that add. A change is audited here (`sla.change`, `calendar.change`), with
what it did to the clocks, so the command and the page record the same; a change that changes nothing is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit, calendars, catalogue
from hub.calendars import CalendarTerms
from hub.catalogue import PolicyTerms
from hub.models import SlaPolicy
from hub.sla_replanning import Replanned, Replanning, counted


@dataclass(frozen=True)
class Edit:
    """A policy or calendar changed, and what became of the clocks running under it."""

    name: str  # as it is named now
    changed: bool  # False: it already was as given, and nothing was done
    replanned: Replanned = field(default_factory=lambda: Replanned(0, 0, 0))
    detail: Mapping[str, Any] = field(default_factory=dict)  # what the audit log keeps of it


def describe(edit: Edit) -> str:
    """What became of the incidents whose clocks ran under it, in words."""
    done = edit.replanned
    return counted([(done.moved, "unresolved incident(s) re-planned, as their timelines say"),
                    (done.kept, "kept their due times"),
                    (done.stopped, "left without clocks, since no policy fits them now")],
                   none="no unresolved incident runs clocks under it")  # fmt: skip


def edit_policy(
    session: Session, name: str, terms: PolicyTerms, *, by: str, new_name: str | None = None,
    now: datetime | None = None,
) -> Edit:  # fmt: skip
    """Give the policy `name` new terms (what `switchboard sla add` takes) and re-plan the clocks it runs; `by`
    (who changes it) is the audit record's actor."""
    policy = catalogue.get_policy(session, name, lock=True)
    was = policy.name
    replanning = Replanning(session, [policy.id])
    if not catalogue.change_policy(session, was, terms, new_name=new_name):
        return Edit(policy.name, changed=False)
    done = replanning.finish(f"SLA policy {policy.name} was changed", now)
    detail = {**catalogue.policy_detail(policy, terms["calendar"]), **_renamed(was, policy.name), **_counts(done)}
    return _audited(session, by, "sla.change", Edit(policy.name, True, done, detail))


def edit_calendar(
    session: Session, name: str, terms: CalendarTerms, *, by: str, new_name: str | None = None,
    now: datetime | None = None,
) -> Edit:  # fmt: skip
    """Give the calendar `name` new terms (what `switchboard calendar add` takes) and re-plan the clocks that run
    on it; `by` (who changes it) is the audit record's actor."""
    calendar = calendars.get_calendar(session, name, lock=True)
    was = calendar.name
    using = session.scalars(select(SlaPolicy.id).where(SlaPolicy.calendar_id == calendar.id).with_for_update())
    replanning = Replanning(session, list(using))
    if not calendars.change_calendar(session, was, terms, new_name=new_name):
        return Edit(calendar.name, changed=False)
    done = replanning.finish(f"calendar {calendar.name} was changed", now)
    detail = {"calendar": calendars.describe_calendar(calendar), **_renamed(was, calendar.name), **_counts(done)}
    return _audited(session, by, "calendar.change", Edit(calendar.name, True, done, detail))


def _audited(session: Session, by: str, action: str, edit: Edit) -> Edit:
    audit.record(session, by, action, edit.name, **edit.detail)
    return edit


def _renamed(was: str, name: str) -> dict[str, str]:
    return {"renamed_from": was} if was != name else {}


def _counts(done: Replanned) -> dict[str, int]:
    return {"replanned": done.moved, "kept": done.kept, "stopped": done.stopped}
