"""a change names the problem it fixes

`changes.problem_id` (NULL for every change so far, SET NULL if the problem goes) lets a problem's page list the
changes meant to fix it and a change's page name its problem; indexed, since the problem's page reads by it.

Revision ID: 0042
Revises: 0041
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("changes") as batch:
        batch.add_column(sa.Column("problem_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_changes_problem_id", "problems", ["problem_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_changes_problem_id", ["problem_id"])


def downgrade() -> None:
    """Changes forget which problem they fix; the problems' audit entries still say which changes were linked."""
    with op.batch_alter_table("changes") as batch:
        batch.drop_index("ix_changes_problem_id")
        batch.drop_constraint("fk_changes_problem_id", type_="foreignkey")
        batch.drop_column("problem_id")
