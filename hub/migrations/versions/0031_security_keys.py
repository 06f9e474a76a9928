"""security keys and passkeys (WebAuthn) as a second factor beside the authenticator app

`security_keys` keeps each person's registered keys: the credential id (unique: a login names the key by it), the
public key, the signature counter (BigInteger: the counter is an unsigned 32-bit number), transports, a name, when
added and last used. `webauthn_challenges` keeps each ceremony's challenge on the server, used once. Both go with
their user (ON DELETE CASCADE). `users.security_keys_stamp` changes with every key added or removed and is part of
the session key; NULL for everyone now, so nobody is logged out by the upgrade.

Revision ID: 0031
Revises: 0030
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "security_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("credential_id"),
    )
    op.create_index("ix_security_keys_user_id", "security_keys", ["user_id"])
    op.create_table(
        "webauthn_challenges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("challenge", sa.LargeBinary(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("ref"),
    )
    op.create_index("ix_webauthn_challenges_user_id", "webauthn_challenges", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("security_keys_stamp", sa.String(32), nullable=True))


def downgrade() -> None:
    """Registered keys are forgotten: their people log in with the authenticator app, or without a second step."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("security_keys_stamp")
    op.drop_index("ix_webauthn_challenges_user_id", table_name="webauthn_challenges")
    op.drop_table("webauthn_challenges")
    op.drop_index("ix_security_keys_user_id", table_name="security_keys")
    op.drop_table("security_keys")
