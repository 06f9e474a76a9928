"""Incidents' problem, CI, request type and requester indexes hold only the incidents that have one

Most incidents (every alert the webhooks open) have no problem, CI, request type or requester, yet each opening
wrote a NULL entry into all four indexes: four more B-tree pages for SQLite to write to its log and sync before
the sender is answered. Partial (IS NOT NULL), the lookups still use them (`problem_id = :id` and
`lower(requester) = :address` imply what they compare is not NULL, on SQLite and PostgreSQL alike). A new alert
writes 65 KiB instead of 88 (bench/webhook_ingest.py's distinct workload, measured in-process).

Revision ID: 0064
Revises: 0063
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0064"
down_revision: str | None = "0063"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: index -> what it holds (a column, or the expression the requester lookups compare)
INDEXED = {
    "ix_incidents_problem_id": "problem_id",
    "ix_incidents_ci_id": "ci_id",
    "ix_incidents_request_type_id": "request_type_id",
    "ix_incidents_requester_lower": "lower(requester)",
}


def upgrade() -> None:
    for name, held in INDEXED.items():
        where = sa.text(f"{held} IS NOT NULL")
        op.drop_index(name, table_name="incidents")
        op.create_index(name, "incidents", [sa.text(held)], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, held in INDEXED.items():
        op.drop_index(name, table_name="incidents")
        op.create_index(name, "incidents", [sa.text(held)])
