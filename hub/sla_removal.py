"""Removing an SLA policy, and what becomes of the clocks it runs.

An incident keeps the policy its clocks run under (`incidents.sla_policy_id`, ON DELETE SET NULL). Deleting the
policy alone would leave its unresolved incidents with due times no policy stands behind: the sweep would still
announce their warnings and breaches while their page and the API said they have no SLA, and their next-update
clock could not start again. Refusing while any incident runs clocks under it would make a catch-all policy (every
P3) impossible to remove, since some P3 is always open.

So removal re-plans them in the same transaction (hub/sla_replanning.py, as a change to a policy does): under the
policy that fits them once this one is gone, counted from their opening (their waits on the requester kept), or
with no clocks when none fits; each incident's timeline says which and why. That is safe: every incident ends under
a policy that exists or under none, and what a shorter target makes overdue is announced by the next sweep, as after
a priority change. The policy's row is locked first, so on PostgreSQL an incident being opened under it meanwhile is
either seen here or refused by the foreign key (its sender retries, and the intake then reads the policies without
it).

Resolved and closed incidents are not re-planned: their clocks have stopped. They lose the reference, so their page
shows no clocks and /reports/sla no longer counts them; the page that offers removal says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub.catalogue import get_policy
from hub.catalogue_rows import bump_version
from hub.sla_replanning import Replanning, counted


@dataclass(frozen=True)
class Removal:
    """What removing a policy did to the incidents whose clocks it ran."""

    name: str
    replanned: int  # now under another policy
    stopped: int  # no other policy fits them: no clocks


def describe(removal: Removal) -> str:
    """What became of the incidents it ran clocks for, in words."""
    return counted([(removal.replanned, "unresolved incident(s) re-planned under the policy that now fits"),
                    (removal.stopped, "left without clocks, since no other policy fits them")],
                   none="no unresolved incident ran clocks under it")  # fmt: skip


def remove_policy(session: Session, name: str, now: datetime | None = None) -> Removal:
    """Delete the policy `name` and re-plan the unresolved incidents it ran clocks for (see the module's doc)."""
    policy = get_policy(session, name, lock=True)
    replanning = Replanning(session, [policy.id])
    session.delete(policy)
    bump_version(session)
    done = replanning.finish(f"SLA policy {policy.name} was removed", now)
    return Removal(policy.name, done.moved + done.kept, done.stopped)
