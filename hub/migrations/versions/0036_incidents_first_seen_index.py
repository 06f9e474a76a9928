"""An index on incidents by when they began, for the figures over a recent window

The dashboard (the recent timings, the recurrence suggestions) and the SLA report read the incidents that began in
the last days; with no index on `first_seen` alone (only `service, first_seen`) each read every incident: on
200,000, three statements of 40 to 90 ms each (bench/pages_at_scale.py). `first_seen` is written once, when an
incident opens, and never moved by the events that repeat it, so ingest pays one entry per new incident and nothing
per deduplicated event.

Revision ID: 0036
Revises: 0035
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incidents_first_seen", "incidents", ["first_seen"])


def downgrade() -> None:
    op.drop_index("ix_incidents_first_seen", table_name="incidents")
