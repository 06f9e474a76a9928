"""an index on incidents' requesters, compared lower-cased: a requester's list, export and erasure read by it

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On the expression the queries compare (lower(requester)): an index on the plain column would not serve them.
    op.create_index("ix_incidents_requester_lower", "incidents", [sa.text("lower(requester)")])


def downgrade() -> None:
    op.drop_index("ix_incidents_requester_lower", table_name="incidents")
