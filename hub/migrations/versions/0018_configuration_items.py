"""configuration items: what broke (servers, applications, devices), who owns it, which service it supports

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "configuration_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("service", sa.String(100), nullable=True),
        sa.Column("owner", sa.String(320), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "ci_dependencies",
        sa.Column("ci_id", sa.Integer(), nullable=False),
        sa.Column("depends_on_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ci_id"], ["configuration_items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["depends_on_id"], ["configuration_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ci_id", "depends_on_id"),
    )
    op.create_index("ix_ci_dependencies_depends_on_id", "ci_dependencies", ["depends_on_id"])
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("ci_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_incidents_ci_id", "configuration_items", ["ci_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_incidents_ci_id", ["ci_id"])


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_ci_id")
        batch.drop_constraint("fk_incidents_ci_id", type_="foreignkey")
        batch.drop_column("ci_id")
    op.drop_index("ix_ci_dependencies_depends_on_id", "ci_dependencies")
    op.drop_table("ci_dependencies")
    op.drop_table("configuration_items")
