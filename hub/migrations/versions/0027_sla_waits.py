"""sla_waits: the completed waits on the requester, so that re-planning an incident's SLA clocks keeps them

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The waits before this migration, read back from the timeline, whose wording has not changed since waiting began
# (hub/sla_pauses.py wait_on_requester and stop_waiting): each "waiting" entry ends at the first "No longer waiting"
# entry after it, unless the incident was set waiting again in between (it was resolved while waiting, say, and
# that wait never ended). A wait still in progress has no end yet: it is the incident's sla_paused_at. One
# statement, the same on SQLite and PostgreSQL, that compares the timeline's own timestamps as they are stored.
_ENDED = """
    SELECT min(e.id) FROM timeline_entries e
    WHERE e.incident_id = w.incident_id AND e.id > w.id AND e.kind IN ('open', 'acknowledged')
      AND e.summary LIKE 'No longer waiting (%'
"""
_RECONSTRUCT = f"""
INSERT INTO sla_waits (incident_id, started_at, ended_at)
SELECT w.incident_id, w.at, e.at
FROM timeline_entries w JOIN timeline_entries e ON e.id = ({_ENDED})
WHERE w.kind = 'waiting' AND e.at > w.at
  AND NOT EXISTS (SELECT 1 FROM timeline_entries again
                  WHERE again.incident_id = w.incident_id AND again.kind = 'waiting'
                    AND again.id > w.id AND again.id < e.id)
ORDER BY w.id
"""


def upgrade() -> None:
    op.create_table(
        "sla_waits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sla_waits_incident_id", "sla_waits", ["incident_id"])
    op.execute(_RECONSTRUCT)


def downgrade() -> None:
    op.drop_index("ix_sla_waits_incident_id", table_name="sla_waits")
    op.drop_table("sla_waits")
