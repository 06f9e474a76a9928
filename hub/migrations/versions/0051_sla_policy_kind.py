"""an SLA policy may be limited to one kind of incident: incidents or service requests (NULL: both, as before)

Revision ID: 0051
Revises: 0050
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0051"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable with no default: every policy so far keeps matching both kinds. Not in a batch, as 0050 explains:
    # SQLite adds (and drops) the column in place, where a batch's copy of the table would lose what it cannot
    # reflect.
    op.add_column("sla_policies", sa.Column("kind", sa.String(20), nullable=True))


def downgrade() -> None:
    op.drop_column("sla_policies", "kind")
