"""What a change to the SLA catalogue does to the clocks already running: the unresolved incidents under the
policies it touches are read before the change and re-planned after it, in the same transaction.

Removing a policy (hub/sla_removal.py), changing one and changing a business calendar (hub/sla_edits.py) all go
through `Replanning`, so each leaves every unresolved incident it touched under a policy that exists, planned by
that policy's terms as they now stand, or with no clocks when none fits: never with due times no policy stands
behind. Re-planning counts from the opening, as a change of priority does (`hub.sla.replan`), and stands still
through every wait on the requester, the completed ones counted on the new calendar (hub/sla_waits.py) and the one
in progress from its start, so no due time comes earlier than the waits had made it; an incident whose policy and
terms did not change keeps its clocks exactly as they are, and one whose due times did not move gets no timeline
line, so an edit that changes nothing for an incident says nothing to it.

The caller locks the policy or calendar it changes first, so on PostgreSQL an incident being opened under it
meanwhile either is seen here or waits for the change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from hub import sla
from hub.models import Incident
from hub.status_page import LIVE

#: Incidents whose clocks still run (or stand paused while they wait): open, acknowledged, waiting. The status
#: index finds them without reading the resolved ones.
RUNNING: ColumnElement[bool] = Incident.status.in_(LIVE)


def running_clocks(session: Session) -> dict[int, int]:
    """How many unresolved incidents each policy runs clocks for (what changing or removing it re-plans), by id."""
    query = (
        select(Incident.sla_policy_id, func.count())
        .where(RUNNING, Incident.sla_policy_id.is_not(None))
        .group_by(Incident.sla_policy_id)
    )
    return {policy_id: int(count) for policy_id, count in session.execute(query).all() if policy_id is not None}


def counted(counts: Iterable[tuple[int, str]], none: str) -> str:
    """What a change did to the incidents, in words: each count that is not 0 with what it counts, `none` when
    every count is 0. Changing and removing say it alike: `2 re-planned; 1 left without clocks`."""
    return "; ".join(f"{count} {what}" for count, what in counts if count) or none


@dataclass(frozen=True)
class Replanned:
    """What a change did to the unresolved incidents whose clocks ran under the policies it touched."""

    moved: int  # under another policy now, or with other due times: their timeline says so
    kept: int  # the same policy and due times
    stopped: int  # no policy fits them now: no clocks

    @property
    def touched(self) -> int:
        return self.moved + self.kept + self.stopped


class Replanning:
    """Begun before a change to some policies (or to their calendar) and finished after it, in one transaction."""

    def __init__(self, session: Session, policy_ids: Collection[int]) -> None:
        """Read the unresolved incidents under `policy_ids` and the policies as they stand, before the change."""
        conn = session.connection()
        self._session = session
        self._before = sla.SlaBookCache().current(conn)
        query = select(Incident.id, Incident.sla_policy_id).where(RUNNING, Incident.sla_policy_id.in_(policy_ids))
        self._running = [(row.id, row.sla_policy_id) for row in session.execute(query.order_by(Incident.id))]

    def finish(self, why: str, now: datetime | None = None) -> Replanned:
        """Re-plan them under the policies as they now stand (the change made and its revision bumped); `why`
        ends each timeline line ("SLA re-planned under P1 (why)")."""
        self._session.flush()
        conn = self._session.connection()
        book = sla.SlaBookCache().current(conn)  # read in this transaction: with the change
        moved = kept = stopped = 0
        for incident_id, policy_id in self._running:
            done = sla.replan(conn, book, incident_id, now, why=why, before=self._before.by_id.get(policy_id))
            if done.policy is None:
                stopped += 1
            elif done.moved:
                moved += 1
            else:
                kept += 1
        return Replanned(moved, kept, stopped)
