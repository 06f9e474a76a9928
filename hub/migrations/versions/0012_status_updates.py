"""status updates by mail: subscribers, what they were last told, and an index for uptime's long outages

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_subscribers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "status_snapshots",
        sa.Column("service", sa.String(100), primary_key=True),
        sa.Column("seen", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    major = sa.text("priority = 1")
    op.create_index("ix_incidents_major_resolved", "incidents", ["service", "resolved_at"], sqlite_where=major,
                    postgresql_where=major)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_incidents_major_resolved", table_name="incidents")
    op.drop_table("status_snapshots")
    op.drop_table("status_subscribers")
