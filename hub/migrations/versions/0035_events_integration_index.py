"""An index on events by integration and arrival, for each integration's latest event

The integrations page shows when each integration last sent something. Without an index that was a GROUP BY over
every event (540 ms on SQLite with 1,000,000 events, bench/pages_at_scale.py); with it, one step down the index
per integration. Partial (`integration_id IS NOT NULL`): email's events have no integration and pay nothing; each
webhook event adds one entry, at the right-hand edge of its integration's range.

Revision ID: 0035
Revises: 0034
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("integration_id IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_events_integration_received", "events", ["integration_id", "received_at"],
                    sqlite_where=WHERE, postgresql_where=WHERE)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_events_integration_received", table_name="events")
