"""a two-factor setup's new secret kept on the server, sealed, instead of in the browser's session cookie

A Flask session is signed, not encrypted: the secret shown while someone sets up their authenticator app could be
read from the cookie by anyone who saw it, and once confirmed it is their second factor. It now waits in
`users.totp_pending`, sealed like `users.totp_secret` (text on both databases: a new column has no old declared
width to keep), with the reference the setting-up browser keeps and when it was started (it expires). All NULL
while nobody is setting it up, so adding them rewrites nothing.

Revision ID: 0029
Revises: 0028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_pending", sa.Text(), nullable=True))
        batch.add_column(sa.Column("totp_pending_ref", sa.String(32), nullable=True))
        batch.add_column(sa.Column("totp_pending_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Setups under way are forgotten: those people start setting it up again."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_pending_at")
        batch.drop_column("totp_pending_ref")
        batch.drop_column("totp_pending")
