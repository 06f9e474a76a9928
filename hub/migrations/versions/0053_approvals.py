"""approvals on incidents: someone other than the agent says yes (a manager, a licence owner)

One row per approval asked (hub/approvals.py), decided once by its approver or withdrawn. Indexed for an
approver's pending approvals ("waiting for me") and an incident's approvals (its page, the list's badge and its
`approval=pending` filter). The rows go with their incident or approver; the asker's id becomes NULL with them.

Revision ID: 0053
Revises: 0052
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0053"
down_revision: str | None = "0052"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("approver_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("asked_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_approvals_approver_state", "approvals", ["approver_id", "state"])
    op.create_index("ix_approvals_incident_state", "approvals", ["incident_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_approvals_incident_state", table_name="approvals")
    op.drop_index("ix_approvals_approver_state", table_name="approvals")
    op.drop_table("approvals")
