"""a request type names its approver: the intake asks them as it opens a request of that type

Revision ID: 0054
Revises: 0053
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0054"
down_revision: str | None = "0053"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, its reference inline, as 0052 adds its columns (and for the same reasons: no batch, no ON DELETE).
    op.add_column(
        "request_types",
        sa.Column("approver_id", sa.Integer(), sa.ForeignKey("users.id")),
        inline_references=True,
    )


def downgrade() -> None:
    op.drop_column("request_types", "approver_id")
