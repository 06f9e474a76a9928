"""index the references to events, so old events can be deleted

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (("ix_timeline_entries_event_id", "timeline_entries"), ("ix_imported_messages_event_id", "imported_messages"))


def upgrade() -> None:
    for name, table in INDEXES:
        op.create_index(name, table, ["event_id"], sqlite_where=sa.text("event_id IS NOT NULL"),
                        postgresql_where=sa.text("event_id IS NOT NULL"))  # fmt: skip


def downgrade() -> None:
    for name, table in INDEXES:
        op.drop_index(name, table_name=table)
