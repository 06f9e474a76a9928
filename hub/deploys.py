"""Deployments reported by tools, recorded as changes: a success is an implemented standard change, a failure a
failed one, an in-progress report an implementing one that a later report of the same deploy updates.

Like every inbound item, the request is stored as an event row exactly as received, in the same transaction as
the change it records (status `change`), so the sender is answered only after both are committed. Deploys never
open incidents: they are what incidents are correlated with (hub/change_correlation.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.change_states import deploy_state
from hub.changes import web_link
from hub.db import Database
from hub.domain import fit_key
from hub.intake import Raw
from hub.models import Change, Event, utcnow

STATUSES = ("success", "failure", "in_progress")
#: The status of the event row that stored a deploy report.
EVENT_STATUS = "change"
DEPLOY_ID_WIDTH = 200  # changes.external_id


@dataclass(frozen=True)
class Deploy:
    """One deploy report, made by an ingest adapter (ingest/webhooks/deploy.py) from the tool's JSON."""

    service: str
    status: str  # success|failure|in_progress
    version: str | None = None
    environment: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    link: str | None = None
    deploy_id: str | None = None  # the tool's id for this deploy: a later report of it updates the same change
    deployed_by: str | None = None
    title: str | None = None

    def describe(self) -> str:
        parts = [f"Deploy {self.service}"]
        if self.version:
            parts.append(self.version)
        if self.environment:
            parts.append(f"to {self.environment}")
        return " ".join(parts)

    @property
    def change_title(self) -> str:
        """The title of the change it records: the tool's, else what it did."""
        return (self.title or self.describe())[:500]

    def as_test(self) -> str:
        """What it would record, in words, for the integration page's test deploy, which records nothing."""
        state = deploy_state(None, self.status)
        return f"a standard change \u201c{self.change_title}\u201d on service {self.service}, {state}"


@dataclass(frozen=True)
class Recorded:
    """What became of a deploy report."""

    event_id: int
    change_ref: str
    state: str
    created: bool
    changed: bool  # False: a repeat (or late) report that left the change as it was


def record_deploy(db: Database, raw: Raw, deploy: Deploy, *, integration: str) -> Recorded:
    """Store the request and record (or update) its change in one transaction; returns once committed.

    Two first reports of one deploy racing each other meet the unique (integration, deploy id) index: the loser's
    transaction is rolled back and tried again, when it finds the winner's change and updates it.
    """
    try:
        with db.transaction() as session:
            return _record(session, raw, deploy, integration)
    except IntegrityError:
        with db.transaction() as session:
            return _record(session, raw, deploy, integration)


def _record(session: Session, raw: Raw, deploy: Deploy, integration: str) -> Recorded:
    now = utcnow()
    row = None
    deploy_id = fit_key(deploy.deploy_id, DEPLOY_ID_WIDTH) if deploy.deploy_id else None
    if deploy_id and raw.integration_id is not None:
        row = session.scalar(
            select(Change)
            .where(Change.integration_id == raw.integration_id, Change.external_id == deploy_id)
            .with_for_update()
        )
    created = row is None
    state = deploy_state(None if row is None else row.state, deploy.status)
    if row is None:
        assert state is not None
        row = Change(
            title=deploy.change_title, service=deploy.service[:100], type="standard",
            state=state, risk="low", requested_by=(deploy.deployed_by or integration)[:320], approvers=[],
            required_approvals=0, source="deploy", integration_id=raw.integration_id,
            external_id=deploy_id, implemented_at=None,
        )  # fmt: skip
        session.add(row)
    if state is not None:
        row.state = state
        row.implemented_at = (deploy.finished_at or now) if state != "implementing" else None
    row.planned_start = deploy.started_at or row.planned_start
    row.planned_end = deploy.finished_at or row.planned_end
    row.version = (deploy.version or row.version or "")[:200] or None
    row.environment = (deploy.environment or row.environment or "")[:100] or None
    row.link = web_link(deploy.link) or row.link  # a tool's report is kept even when its link is not a web page's
    session.flush()
    what = "created" if created else ("updated" if state is not None else "unchanged")
    event = Event(
        source=raw.source, integration_id=raw.integration_id, received_at=now, content_type=raw.content_type,
        raw=raw.body, status=EVENT_STATUS, trace={"change": row.ref, "status": deploy.status, "result": what},
    )  # fmt: skip
    session.add(event)
    session.flush()
    return Recorded(event.id, row.ref, row.state, created=created, changed=state is not None)
