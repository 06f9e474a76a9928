"""an approval asked by a request type names it: the approver's answer moves that request on

Revision ID: 0056
Revises: 0055
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0056"
down_revision: str | None = "0055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, its reference inline, as 0052 and 0054 add theirs (no batch, no ON DELETE: types are retired, never
    # deleted). Approvals asked before it (0053 to 0055 came in the same release) count as a person's.
    op.add_column(
        "approvals",
        sa.Column("request_type_id", sa.Integer(), sa.ForeignKey("request_types.id")),
        inline_references=True,
    )


def downgrade() -> None:
    op.drop_column("approvals", "request_type_id")
