"""One thing's history (a change's, a problem's) read from the audit log through its index, not the whole log."""

from __future__ import annotations

from sqlalchemy import insert, text

from hub import audit
from hub.db import Database
from hub.models import AuditEntry
from tests.plans import plan


def test_a_things_history_is_read_through_the_target_index_not_the_whole_log(database: Database) -> None:
    rows = [{"actor": "ann@example.com", "action": "change.update" if n % 2 else "problem.update",
             "target": f"CHG-{n}" if n % 2 else f"PRB-{n}", "detail": {}} for n in range(3000)]  # fmt: skip
    with database.transaction() as session:
        session.execute(insert(AuditEntry), rows)
        if database.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE audit_log"))
    found = plan(database, audit.trail_query("CHG-7", "change."))
    assert "ix_audit_log_target" in found, found
    assert "SCAN audit_log" not in found and "Seq Scan on audit_log" not in found, found
    with database.read() as session:
        assert [(e.action, e.target) for e in audit.trail(session, "CHG-7", "change.")] == [("change.update", "CHG-7")]
