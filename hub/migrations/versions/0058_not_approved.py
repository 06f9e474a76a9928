"""whether an incident's latest resolution was its request type's approver saying no, so the requester's page
says "Not approved" from the record rather than from the resolution's words

Revision ID: 0058
Revises: 0057
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0058"
down_revision: str | None = "0057"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: How hub/approval_outcome.py began a rejection's resolution (copied: a migration keeps the words of its day).
NOT_APPROVED = "Not approved by "


def upgrade() -> None:
    # A constant default: PostgreSQL adds it without rewriting the table. Not in a batch: SQLite adds (and drops)
    # the column in place, where a batch's copy of the table would lose the index on lower(requester) (migration
    # 0024), which it cannot reflect.
    op.add_column("incidents", sa.Column("not_approved", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Requests rejected before it: resolved or closed with the words hub/approval_outcome.py wrote then, naming the
    # approver of a request type's approval that was rejected on it (not the words alone, which anyone may type).
    op.execute(
        sa.text(
            "UPDATE incidents SET not_approved = :yes WHERE status IN ('resolved', 'closed') AND EXISTS ("
            "SELECT 1 FROM approvals JOIN users ON users.id = approvals.approver_id"
            " WHERE approvals.incident_id = incidents.id AND approvals.state = 'rejected'"
            " AND approvals.request_type_id IS NOT NULL"
            " AND substr(incidents.resolution, 1, :prefix + length(users.email)) = :words || users.email)"
        ).bindparams(yes=True, prefix=len(NOT_APPROVED), words=NOT_APPROVED)
    )


def downgrade() -> None:
    op.drop_column("incidents", "not_approved")
