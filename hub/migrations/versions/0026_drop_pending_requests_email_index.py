"""drop the index on help-centre requests by (email, asked_at): the quiet period it served now reads the outbox

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # hub/link_mail.py decides whether an address was mailed lately from the outbox, for all three forms, and export
    # and erasure compare lower(email): nothing reads this index, and every request written kept it up to date.
    op.drop_index("ix_pending_requests_email_asked_at", table_name="pending_requests")


def downgrade() -> None:
    op.create_index("ix_pending_requests_email_asked_at", "pending_requests", ["email", "asked_at"])
