"""when each person last opened each incident, for the list's "new activity"

`incident_reads` keeps one row per (person, incident), rewritten when they open its page; the list compares it with
the timeline to mark what people wrote since (hub/read_markers.py). Nothing on the ingest path writes it. The rows
go with their user or incident (ON DELETE CASCADE).

Revision ID: 0039
Revises: 0036
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_reads",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_incident_reads_incident_id", "incident_reads", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_reads_incident_id", table_name="incident_reads")
    op.drop_table("incident_reads")
