"""Rejected changes that were closed are no longer dated as carried out

Closing a change stamped `implemented_at` whatever it had been, so a rejected change, once closed, read as
carried out at that moment: incidents in the following hours listed it under "Changes before it", as the likely
culprit when on their service, and rules read it as `change.minutes_ago`. hub/changes.py now stamps only a
change's outcome. This clears the stamp the close gave: a closed change of our own (not a deploy), not standard,
with fewer approvals than it required was rejected, since a change is approved only at its Nth approval.

Revision ID: 0040
Revises: 0039
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE changes SET implemented_at = NULL"
            " WHERE state = 'closed' AND source = 'manual' AND type <> 'standard' AND implemented_at IS NOT NULL"
            " AND (SELECT count(*) FROM change_approvals a WHERE a.change_id = changes.id AND a.decision = 'approve')"
            " < changes.required_approvals"
        )
    )


def downgrade() -> None:
    """Nothing to undo: the stamp was wrong, and the code before this one would only put it back at a close."""
