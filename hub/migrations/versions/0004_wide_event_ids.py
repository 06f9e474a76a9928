"""64-bit event ids on PostgreSQL, where serial ids are 32-bit and a busy hub would run out of them

Every inbound item is an event: at 100 alerts a second the 2**31 ids of an INTEGER last eight months. The id
column, its sequence and the columns that refer to it become BIGINT. SQLite's INTEGER primary key is 64-bit
already, so there this changes nothing. On a large PostgreSQL table the type change rewrites it under a lock:
run the upgrade in a quiet hour.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column) holding an event id, the events' own first.
COLUMNS = (("events", "id"), ("timeline_entries", "event_id"), ("imported_messages", "event_id"),
           ("attachments", "event_id"))  # fmt: skip


def upgrade() -> None:
    _retype(sa.BigInteger(), "bigint")


def downgrade() -> None:
    _retype(sa.Integer(), "integer")


def _retype(type_: sa.types.TypeEngine, sequence_type: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=type_)
    op.execute(f"ALTER SEQUENCE events_id_seq AS {sequence_type}")
