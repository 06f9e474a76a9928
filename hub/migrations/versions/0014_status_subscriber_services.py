"""status updates per service: the services a subscriber chose (none: every public service, new ones too)

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_subscribers") as batch:
        batch.add_column(sa.Column("services", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_subscribers") as batch:
        batch.drop_column("services")
