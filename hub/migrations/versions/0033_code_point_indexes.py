"""PostgreSQL: indexes on CI names and users' addresses in code point order, for prefix lookups under any collation

Suggestions as one types and an alert's short host name (`db1` finding `db1.example.com`) look for text starting
with a prefix as a range (hub/prefix_match.py), compared COLLATE "C" on PostgreSQL so that a database made with a
language's collation (en_US.UTF-8, ICU) finds exactly what starts so. The plain unique indexes follow the
database's collation and cannot serve that comparison; these indexes are on the expression it compares. SQLite's
default collation is already code point order, so its unique indexes serve the range and nothing is made there.

Revision ID: 0033
Revises: 0032
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_configuration_items_name_key_c", "configuration_items", "name_key"),
    ("ix_users_email_c", "users", "email"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column in _INDEXES:
        op.create_index(name, table, [sa.text(f'{column} COLLATE "C"')])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _column in _INDEXES:
        op.drop_index(name, table_name=table)
