"""approval reminders: when each pending approval's approver was last chased

`reminded_at` is when the dispatcher (hub/approval_reminders.py) last mailed the approver a reminder, NULL before
the first. Its index finds the approvals due a reminder from the pending ones alone: those never reminded by when
they were asked, the others by when they were last reminded.

Revision ID: 0055
Revises: 0054
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0055"
down_revision: str | None = "0054"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite adds (and drops) the column in place, as 0051 does.
    op.add_column("approvals", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_approvals_state_reminded", "approvals", ["state", "reminded_at", "asked_at"])


def downgrade() -> None:
    op.drop_index("ix_approvals_state_reminded", table_name="approvals")
    op.drop_column("approvals", "reminded_at")
