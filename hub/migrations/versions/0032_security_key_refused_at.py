"""when a security key was last refused because its signature counter went back (a copy of it may exist)

Such a refusal was only audited, so the key's owner, the one person who can act on it, did not learn of it.
`security_keys.refused_at` keeps when, and the account page flags the key until it is removed. NULL for every key
now: none was flagged before, and adding it rewrites nothing.

Revision ID: 0032
Revises: 0031
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("security_keys") as batch:
        batch.add_column(sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """The flags go; the refusals stay in the audit log as `user.key_refused`."""
    with op.batch_alter_table("security_keys") as batch:
        batch.drop_column("refused_at")
