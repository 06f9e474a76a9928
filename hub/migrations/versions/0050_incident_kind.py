"""each incident's kind: an incident (something is broken) or a service request (someone needs something), and
the kind a request asked on the help centre's form will open as

Revision ID: 0050
Revises: 0049
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0050"
down_revision: str | None = "0049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds it without rewriting the table, and every incident so far stays one. Not
    # in a batch: SQLite adds (and drops) the column in place, where a batch's copy of the table would lose the
    # index on lower(requester) (migration 0024), which it cannot reflect.
    op.add_column("incidents", sa.Column("kind", sa.String(20), nullable=False, server_default=sa.text("'incident'")))
    op.add_column(
        "pending_requests", sa.Column("kind", sa.String(20), nullable=False, server_default=sa.text("'incident'"))
    )


def downgrade() -> None:
    op.drop_column("pending_requests", "kind")
    op.drop_column("incidents", "kind")
