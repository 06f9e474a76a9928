"""files agents attach to notes and replies: attachments belong to an event or to a timeline entry; a reply's mail
names its files

An inbound file keeps its `event_id`; an agent's names the timeline entry of its note or reply instead, so
`event_id` becomes nullable and a CHECK holds that exactly one of the two is set. SQLite cannot alter a column or
add a constraint in place: batch mode copies the table (small: one row per file, no bytes). On PostgreSQL these
are catalogue changes plus one scan to validate the CHECK. `outbox.attachment_ids` is a nullable column: added
without rewriting the outbox on either database.

Downgrading deletes the agents' files' rows (the old schema cannot list them; their bytes stay in the store).

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As hub/models.py::ONE_OWNER (a migration keeps its own copy: the model may change after it).
ONE_OWNER = "(event_id IS NULL) <> (timeline_entry_id IS NULL)"
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.alter_column("event_id", existing_type=EVENT_ID, nullable=True)
        batch.add_column(sa.Column("timeline_entry_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_attachments_timeline_entry_id", "timeline_entries", ["timeline_entry_id"],
                                 ["id"], ondelete="CASCADE")  # fmt: skip
        batch.create_index("ix_attachments_timeline_entry_id", ["timeline_entry_id"])
        batch.create_check_constraint("ck_attachments_one_owner", ONE_OWNER)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attachment_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attachment_ids")
    op.execute("DELETE FROM attachments WHERE event_id IS NULL")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_constraint("ck_attachments_one_owner", type_="check")
        batch.drop_index("ix_attachments_timeline_entry_id")
        batch.drop_constraint("fk_attachments_timeline_entry_id", type_="foreignkey")
        batch.drop_column("timeline_entry_id")
        batch.alter_column("event_id", existing_type=EVENT_ID, nullable=False)
