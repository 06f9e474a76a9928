"""An approval keeps the desk token that asked it

`approvals.asked_by_token`: who asked when no user did, a desk API token as `token:<name>` (the spelling the API
uses for a desk token wherever it says who acted, `hub.api_tokens.Principal.by`), so `asked_by` names it rather than
null. NULL for a user's ask (`asked_by` names them), a request type's, and every approval before this.

Revision ID: 0063
Revises: 0062
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0063"
down_revision: str | None = "0062"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, as 0056 adds its column (no batch: a copied table would keep 0056's reference unnamed, which its
    # downgrade's DROP COLUMN then cannot drop on SQLite).
    op.add_column("approvals", sa.Column("asked_by_token", sa.String(length=320), nullable=True))


def downgrade() -> None:
    op.drop_column("approvals", "asked_by_token")
