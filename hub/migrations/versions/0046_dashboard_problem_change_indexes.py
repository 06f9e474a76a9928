"""Indexes on problems by state and owner, and on changes by state and planned start, for the dashboard

The dashboard counts the active problems by state, finds the oldest no one owns and the known errors whose
workaround is shared; it lists the changes planned to start this week, those assessed and awaiting approval, and
those implementing past their planned end. Every visit asked it: without these indexes, each was a scan of every
problem or change ever filed (a desk's deploys alone record thousands of changes a year). Problems and changes are
written by people and deploy tools, never on the ingest path, so the indexes cost it nothing.

Revision ID: 0046
Revises: 0045
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0046"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_problems_state_owner", "problems", ["state", "owner"])
    op.create_index("ix_changes_state_planned_start", "changes", ["state", "planned_start"])


def downgrade() -> None:
    op.drop_index("ix_changes_state_planned_start", table_name="changes")
    op.drop_index("ix_problems_state_owner", table_name="problems")
