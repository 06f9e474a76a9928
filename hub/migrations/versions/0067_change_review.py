"""A change keeps its post-implementation review

`changes.review`: what the reviewer wrote happened and was learned when the change was reviewed, shown on its page,
in the API and (as written) in its history. NULL for a change not reviewed, or reviewed before this without words.

Revision ID: 0067
Revises: 0066
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0067"
down_revision: str | None = "0066"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("changes", sa.Column("review", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("changes", "review")
