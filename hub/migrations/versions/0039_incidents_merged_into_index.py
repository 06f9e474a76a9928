"""An index on the incidents merged into each incident, for telling their requesters of its resolution

Resolving an incident now mails the requesters of the requests merged into it (hub/merged_requesters.py), which
asks for the incidents whose `merged_into_id` is the one resolved; with no index that reads every incident on each
resolution. Partial (only merged rows), so the incidents never merged, nearly all of them, cost ingest nothing.

Revision ID: 0039
Revises: 0038
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MERGED = sa.text("merged_into_id IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_incidents_merged_into", "incidents", ["merged_into_id"], sqlite_where=MERGED,
                    postgresql_where=MERGED)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_incidents_merged_into", table_name="incidents")
