"""each person's order for an incident's timeline on its page and its review's: oldest first (false) or newest first

Revision ID: 0049
Revises: 0048
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0049"
down_revision: str | None = "0048"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds it without rewriting the table, and everyone keeps reading oldest first.
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("timeline_newest_first", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("timeline_newest_first")
