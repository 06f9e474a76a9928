"""What the desk reads about one configuration item: its incidents (open, and the last ones), the problems behind
them, the changes to the service it supports, and what it depends on and what depends on it.

Every query goes by an index: incidents by `ci_id`, dependencies by either end. Changes have no CI of their own, so
the page shows those of the CI's service, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import cis
from hub.models import Change, ConfigurationItem, Incident, Problem

#: How many of a CI's incidents and its service's changes the page lists.
RECENT_INCIDENTS = 20
RECENT_CHANGES = 10
_CLOSED = ("resolved", "closed")


@dataclass(frozen=True)
class CiRecord:
    """One CI and what happened around it, read in one transaction."""

    ci: ConfigurationItem
    open_incidents: list[Incident]
    recent_incidents: list[Incident]  # the last RECENT_INCIDENTS, open or not, newest first
    problems: list[Problem]
    changes: list[Change]  # to its service, newest first
    depends_on: list[ConfigurationItem]
    dependents: list[ConfigurationItem]  # its impact: what breaks with it


def record(session: Session, name: str) -> CiRecord:
    """The CI named (Missing if there is none) and its history."""
    ci = cis.get(session, name)
    mine = select(Incident).where(Incident.ci_id == ci.id).order_by(Incident.id.desc())
    open_incidents = list(session.scalars(mine.where(Incident.status.not_in(_CLOSED))))
    recent = list(session.scalars(mine.limit(RECENT_INCIDENTS)))
    problem_ids = select(Incident.problem_id).where(Incident.ci_id == ci.id, Incident.problem_id.is_not(None))
    problems = list(session.scalars(select(Problem).where(Problem.id.in_(problem_ids)).order_by(Problem.id.desc())))
    changes = []
    if ci.service:
        query = select(Change).where(Change.service == ci.service).order_by(Change.id.desc()).limit(RECENT_CHANGES)
        changes = list(session.scalars(query))
    return CiRecord(ci, open_incidents, recent, problems, changes, cis.depends_on(session, ci.id),
                    cis.dependents(session, ci.id))  # fmt: skip
