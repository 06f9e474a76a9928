"""a request type's fulfilment steps, copied onto each of its requests as a checklist agents tick off

Revision ID: 0057
Revises: 0056
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0057"
down_revision: str | None = "0056"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, so in place without a batch: types saved before it have no steps.
    op.add_column("request_types", sa.Column("steps", sa.JSON(), nullable=True))
    op.create_table(
        "request_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(320), nullable=True),
    )
    op.create_index("ix_request_steps_incident_id", "request_steps", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_request_steps_incident_id", table_name="request_steps")
    op.drop_table("request_steps")
    op.drop_column("request_types", "steps")
