"""help centre feedback: "Was this helpful?" counts per article, and what readers said was missing

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("helpful", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("not_helpful", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "article_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_article_feedback_article_id", "article_feedback", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_article_feedback_article_id", table_name="article_feedback")
    op.drop_table("article_feedback")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("not_helpful")
        batch.drop_column("helpful")
