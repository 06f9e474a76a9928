"""a problem records that its incidents are being resolved in the background

Resolving a problem resolves its first batch of open incidents in the request; when more are open, the problem
keeps who asked (`resolving_by`) and since when (`resolving_since`) until the workers have resolved the rest
(hub/problem_followthrough.py). NULL for every problem so far. Indexed on `resolving_since`: the dispatcher asks
every round which problems are marked, and nearly none ever are.

Revision ID: 0047
Revises: 0046
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0047"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("problems") as batch:
        batch.add_column(sa.Column("resolving_by", sa.String(320), nullable=True))
        batch.add_column(sa.Column("resolving_since", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_problems_resolving_since", ["resolving_since"])


def downgrade() -> None:
    """The mark goes; incidents still open stay open (resolving the problem's incidents again takes them)."""
    with op.batch_alter_table("problems") as batch:
        batch.drop_index("ix_problems_resolving_since")
        batch.drop_column("resolving_since")
        batch.drop_column("resolving_by")
