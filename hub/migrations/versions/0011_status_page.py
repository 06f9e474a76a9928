"""the public status page: services shown on it, the note an incident shows there, an index for uptime

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Nullable, no default: adding them rewrites nothing, however many incidents there are.
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("public_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("public_note_at", sa.DateTime(timezone=True), nullable=True))
    noted = sa.text("public_note IS NOT NULL")
    op.create_index(
        "ix_incidents_public_note", "incidents", ["resolved_at"], sqlite_where=noted, postgresql_where=noted
    )
    op.create_index("ix_incidents_service_first_seen", "incidents", ["service", "first_seen"])


def downgrade() -> None:
    op.drop_index("ix_incidents_service_first_seen", table_name="incidents")
    op.drop_index("ix_incidents_public_note", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("public_note_at")
        batch.drop_column("public_note")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("public")
