"""when each person last opened each incident, for the list's "new activity"; people's display names

`incident_reads` keeps one row per (person, incident), rewritten when they open its page; the list compares it with
the timeline to mark what people wrote since (hub/read_markers.py). Nothing on the ingest path writes it. The rows
go with their user or incident (ON DELETE CASCADE). `users.display_name` is how replies are signed to requesters
(hub/people.py); NULL for everyone now, who are signed by their address's local part until they set one.

Revision ID: 0037
Revises: 0036
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_reads",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_incident_reads_incident_id", "incident_reads", ["incident_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display_name", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("display_name")
    op.drop_index("ix_incident_reads_incident_id", table_name="incident_reads")
    op.drop_table("incident_reads")
