"""time spent on incidents: entries per person, and each incident's total

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("minutes_spent", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("who", sa.String(320), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_time_entries_incident_id", "time_entries", ["incident_id"])
    op.create_index("ix_time_entries_at", "time_entries", ["at"])


def downgrade() -> None:
    op.drop_index("ix_time_entries_at", "time_entries")
    op.drop_index("ix_time_entries_incident_id", "time_entries")
    op.drop_table("time_entries")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("minutes_spent")
