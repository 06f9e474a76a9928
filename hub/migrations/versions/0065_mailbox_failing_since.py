"""when a mailbox's current run of failures began, so the admins' banner can say how long mail has waited

Revision ID: 0065
Revises: 0064
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0065"
down_revision: str | None = "0064"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, so in place without a batch. A mailbox failing at the upgrade dates its failures from its next one.
    op.add_column("mailboxes", sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("mailboxes", "failing_since")
