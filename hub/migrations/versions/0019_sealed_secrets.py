"""sealed secrets: room for the authenticator and webhook signing secrets sealed under SECRET_KEY

A sealed value (hub/sealed.py) is longer than the plain one it replaces: a 32-character authenticator secret seals
to about 100 characters, more than users.totp_secret's 64. On PostgreSQL, which enforces lengths, both columns
become text (no table rewrite: varchar to text is a relabelling). SQLite enforces no length, so there nothing
changes: a new declared type would mean rebuilding `users`, and dropping the old table would cascade-delete the
recovery codes. No data changes here: a migration cannot know SECRET_KEY, so plain values stay readable and are
sealed when written again or by `switchboard db reseal`.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, its length before)
COLUMNS = (("users", "totp_secret", 64), ("channels", "signing_secret", 128))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in COLUMNS:
        op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length), existing_nullable=True)


def downgrade() -> None:
    """Versions before this one cannot read sealed values, which do not fit the old widths either (PostgreSQL
    refuses the narrowing while one is stored): reset two-factor authentication and remove webhook channels and
    mailboxes with a typed password before going back past here."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in COLUMNS:
        op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text(), existing_nullable=True)
