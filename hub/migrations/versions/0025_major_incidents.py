"""major incidents: their declarations, and post-incident reviews with follow-up actions

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STANDING = "ended_at IS NULL"
#: A review's texts (hub/reviews.py FIELDS).
_TEXTS = ("summary", "impact", "root_cause", "went_well", "went_badly")


def upgrade() -> None:
    op.create_table(
        "major_incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("coordinator", sa.String(320), nullable=False),
        sa.Column("declared_by", sa.String(320), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(320), nullable=True),
        sa.Column("end_note", sa.String(500), nullable=True),
    )
    op.create_index("ix_major_incidents_incident_id", "major_incidents", ["incident_id"])
    # One standing declaration per incident, enforced by the database.
    op.create_index("uq_major_incidents_standing", "major_incidents", ["incident_id"], unique=True,
                    sqlite_where=sa.text(_STANDING), postgresql_where=sa.text(_STANDING))  # fmt: skip
    op.create_table(
        "incident_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), unique=True, nullable=False
        ),
        sa.Column("state", sa.String(20), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in _TEXTS),
        sa.Column("started_by", sa.String(320), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(320), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("review_id", sa.Integer(), sa.ForeignKey("incident_reviews.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("owner", sa.String(320), nullable=True),
        sa.Column("problem_id", sa.Integer(), sa.ForeignKey("problems.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_actions_review_id", "review_actions", ["review_id"])
    op.create_index("ix_review_actions_problem_id", "review_actions", ["problem_id"])


def downgrade() -> None:
    op.drop_index("ix_review_actions_problem_id", "review_actions")
    op.drop_index("ix_review_actions_review_id", "review_actions")
    op.drop_table("review_actions")
    op.drop_table("incident_reviews")
    op.drop_index("uq_major_incidents_standing", "major_incidents")
    op.drop_index("ix_major_incidents_incident_id", "major_incidents")
    op.drop_table("major_incidents")
