"""a service's own major-incident group, paged instead of the installation's when its incident is declared major

`services.major_group` names a group (as `owner_group` does, and as wide); NULL, as every service starts, leaves
its major incidents to SWITCHBOARD_MAJOR_INCIDENT_GROUP, so adding it changes no one's pages.

Revision ID: 0030
Revises: 0029
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("major_group", sa.String(320), nullable=True))


def downgrade() -> None:
    """Services' major-incident groups are forgotten: their major incidents page the installation's group again."""
    with op.batch_alter_table("services") as batch:
        batch.drop_column("major_group")
