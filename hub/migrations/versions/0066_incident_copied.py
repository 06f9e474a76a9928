"""the people a requester copied on their mail are kept with the incident, so the desk's replies reach them too

`incident_copied` (hub/copied.py): one row per incident and address; `added_by` is NULL when the requester's mail
copied them, else the agent who added them by hand.

Revision ID: 0066
Revises: 0065
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0066"
down_revision: str | None = "0065"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_copied",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id", "email"),
    )


def downgrade() -> None:
    op.drop_table("incident_copied")
