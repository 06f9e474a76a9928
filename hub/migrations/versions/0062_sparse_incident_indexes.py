"""Incidents' problem, CI and request type indexes hold only the incidents that have one

Most incidents (every alert the webhooks open) have no problem, CI or request type, yet each opening wrote a NULL
entry into all three indexes: three more B-tree pages for SQLite to write to its log and sync before the sender
is answered. Partial (IS NOT NULL), the lookups by id still use them (`problem_id = :id` implies the column is not
NULL, on SQLite and PostgreSQL alike), and a new alert writes 71 KiB instead of 88 (bench/webhook_ingest.py's
distinct workload, measured in-process: 0.1 ms less CPU per new incident).

Revision ID: 0062
Revises: 0061
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0062"
down_revision: str | None = "0061"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {"ix_incidents_problem_id": "problem_id", "ix_incidents_ci_id": "ci_id",
           "ix_incidents_request_type_id": "request_type_id"}  # fmt: skip


def upgrade() -> None:
    for name, column in COLUMNS.items():
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="incidents")
        op.create_index(name, "incidents", [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, column in COLUMNS.items():
        op.drop_index(name, table_name="incidents")
        op.create_index(name, "incidents", [column])
