"""when a step's group was told its turn came, so undoing and ticking again tells it no more

Revision ID: 0060
Revises: 0059
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0060"
down_revision: str | None = "0059"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, so in place without a batch. Steps already there read as not told: at most one more mail each, for a
    # group step whose turn comes again after an undo.
    op.add_column("request_steps", sa.Column("told_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("request_steps", "told_at")
