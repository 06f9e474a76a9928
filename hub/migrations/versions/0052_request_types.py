"""the request catalogue: request types with their questions, the type and answers a help-centre request names,
and the type an incident was asked as

Revision ID: 0052
Revises: 0051
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0052"
down_revision: str | None = "0051"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_types",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("groups.id", ondelete="SET NULL"), nullable=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id", ondelete="SET NULL"), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Not in a batch (0050 says why): SQLite adds the columns in place, their references written inline, which it
    # allows for a column whose default is NULL. No ON DELETE: request types are retired, never deleted (and
    # SQLite's reflection reads no ON DELETE of an inline reference, so the models could not be compared).
    for table in ("incidents", "pending_requests"):
        op.add_column(
            table,
            sa.Column("request_type_id", sa.Integer(), sa.ForeignKey("request_types.id")),
            inline_references=True,
        )
    op.add_column("pending_requests", sa.Column("answers", sa.JSON(), nullable=True))
    op.create_index("ix_incidents_request_type_id", "incidents", ["request_type_id"])


def downgrade() -> None:
    op.drop_index("ix_incidents_request_type_id", table_name="incidents")
    op.drop_column("pending_requests", "answers")
    for table in ("pending_requests", "incidents"):
        op.drop_column(table, "request_type_id")
    op.drop_table("request_types")
