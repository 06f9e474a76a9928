"""every mapping a generic integration has had is kept, and each event names the one that read it

`integration_mappings` (append-only; an integration's latest row is its current mapping) and `events.mapping_id`
(NULL for other sources and for every event stored before this revision, which are read with the current mapping
as before). Each generic integration's current mapping, none included, becomes its first kept one, so events
from now on are read back as they were read even after the next change.

Revision ID: 0062
Revises: 0061
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0062"
down_revision: str | None = "0061"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integration_mappings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("integration_id", sa.Integer(), sa.ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_integration_mappings_integration_id", "integration_mappings", ["integration_id"])
    # Nullable and without a key (see hub/models.py Event.mapping_id), so in place without a batch.
    op.add_column("events", sa.Column("mapping_id", sa.Integer(), nullable=True))
    now = sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True))
    op.execute(
        sa.text(
            "INSERT INTO integration_mappings (integration_id, spec, saved_at) "
            "SELECT id, mapping, :now FROM integrations WHERE kind = 'generic' ORDER BY id"
        ).bindparams(now)
    )


def downgrade() -> None:
    op.drop_column("events", "mapping_id")
    op.drop_index("ix_integration_mappings_integration_id", table_name="integration_mappings")
    op.drop_table("integration_mappings")
