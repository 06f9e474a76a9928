"""a request's fulfilment step may be another group's, told when the checklist comes to it

Revision ID: 0059
Revises: 0058
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0059"
down_revision: str | None = "0058"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, so in place without a batch: steps copied before it are the assignee's. The request types' `steps`
    # JSON needs no change: a step without a group is still a string there.
    op.add_column("request_steps", sa.Column("group_name", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("request_steps", "group_name")
