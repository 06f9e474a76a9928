"""API tokens may expire and may belong to a person

`api_tokens.expires_at` (NULL: until revoked, as every token so far) and `api_tokens.user_id` (NULL: the desk's
token, as every one so far; a personal token goes with its person), indexed, since a person's account page lists
theirs.

Revision ID: 0061
Revises: 0060
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0061"
down_revision: str | None = "0060"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_api_tokens_user_id", "users", ["user_id"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_api_tokens_user_id", ["user_id"])


def downgrade() -> None:
    """Personal tokens go (they would otherwise become the desk's, with whatever role they were made with)."""
    op.execute("DELETE FROM api_tokens WHERE user_id IS NOT NULL")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_user_id")
        batch.drop_constraint("fk_api_tokens_user_id", type_="foreignkey")
        batch.drop_column("user_id")
        batch.drop_column("expires_at")
