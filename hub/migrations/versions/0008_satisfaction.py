"""requesters' answers to "How did we do?" on resolved incidents

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "satisfaction_answers",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("requester", sa.String(length=320), nullable=False),
        sa.Column("rating", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("first_answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index("ix_satisfaction_answers_answered_at", "satisfaction_answers", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_satisfaction_answers_answered_at", table_name="satisfaction_answers")
    op.drop_table("satisfaction_answers")
