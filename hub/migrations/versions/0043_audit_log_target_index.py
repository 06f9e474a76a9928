"""An index on the audit log by target, for a change's and a problem's history

A change's page and a problem's page (and `switchboard change show` / `problem show`) read the audit entries of
one thing (hub/audit.py `trail`): without an index that is a scan of the whole log, which only grows. Nothing on
the ingest path writes the audit log, so the index costs only the admin and agent actions that are audited.

Revision ID: 0043
Revises: 0042
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_target", "audit_log", ["target"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
