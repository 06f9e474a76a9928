"""pending requests: asked on the help centre's "Ask the desk" form, waiting for their address to confirm them

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNSENT = "confirmed_at IS NOT NULL AND sent_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "pending_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("service", sa.String(100), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="SET NULL"),
    )
    op.create_index("ix_pending_requests_asked_at", "pending_requests", ["asked_at"])
    op.create_index("ix_pending_requests_email_asked_at", "pending_requests", ["email", "asked_at"])
    op.create_index("ix_pending_requests_unsent", "pending_requests", ["confirmed_at"],
                    sqlite_where=sa.text(_UNSENT), postgresql_where=sa.text(_UNSENT))  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_pending_requests_unsent", table_name="pending_requests")
    op.drop_index("ix_pending_requests_email_asked_at", table_name="pending_requests")
    op.drop_index("ix_pending_requests_asked_at", table_name="pending_requests")
    op.drop_table("pending_requests")
