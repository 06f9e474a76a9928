"""PostgreSQL: an index on group names in code point order, for the assignee fields' suggestions

An assignee field suggests the groups whose name starts with what is typed (hub/assignees.py `groups_starting`),
compared COLLATE "C" on PostgreSQL (hub/prefix_match.py), which the plain unique index on the name, in the
database's collation, cannot serve: migration 0033 made the same index for users' addresses and CI names. SQLite's
unique index already sorts by code point, so nothing is made there.

Revision ID: 0034
Revises: 0033
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_groups_name_c", "groups", [sa.text('name COLLATE "C"')])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_groups_name_c", table_name="groups")
