"""Incidents or service requests only: the one condition the dashboard, the queues and the reports narrow by.

ITIL measures the two apart (a laptop awaited for three days is fine, an outage is not), so every figure a manager
reads can be asked for one kind. The condition is checked on the rows a figure's own index found (the period's, or
the open ones), never used as the way in: a kind is a large share of the desk, so an index on it would save little.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from hub.models import Incident


def of_kind(kind: str | None) -> tuple[ColumnElement[bool], ...]:
    """The conditions narrowing a query of incidents to `kind` (one of hub.domain.INCIDENT_KINDS); none for both."""
    return () if kind is None else (Incident.kind == kind,)
