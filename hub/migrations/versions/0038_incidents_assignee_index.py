"""An index on incidents by assignee, for a person's or a group's own queue

`/incidents?assignee=...` (the dashboard's "open assigned to me", a group's "Open incidents") and the API's read
every incident to count a queue: on 200,000, 34 to 128 ms of statements (the busiest person's and a small group's,
SQLite and PostgreSQL). With the index, 1 to 24 ms (bench/repeat_index_cost.py). The repeated-event path does not
pay for it on SQLite, which writes an index only when its columns change (a repeat changes last_seen and
occurrences, not the assignee); on PostgreSQL a repeat is never a HOT update (last_seen is indexed), so every index
takes an entry: the WAL written a repeat stayed within the noise (855 bytes without, 858 with), and repeats a second
were within the busy machine's spread. Not (assignee, status, last_seen): SQLite would rewrite it on every repeat (a
third fewer repeats a second).

Revision ID: 0038
Revises: 0037
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incidents_assignee", "incidents", ["assignee"])


def downgrade() -> None:
    op.drop_index("ix_incidents_assignee", table_name="incidents")
