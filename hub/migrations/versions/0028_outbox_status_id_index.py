"""index the outbox by (status, id): the notification queue page reads one state a page at a time, newest first

Revision ID: 0028
Revises: 0027
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # /outbox?state=... pages by id within a state (hub/outbox_admin.py::listed). (status, updated_at) cannot give
    # the rows of a state in id order: the dead letters among millions of sent rows would be found by reading them
    # all, and a page of sent ones by sorting every one.
    op.create_index("ix_outbox_status_id", "outbox", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_id", table_name="outbox")
