"""The incident page with many users: `GET /incidents/<ref>` through the whole app as an agent, with --users N
(20,000) active users (--agents of them agents, the rest viewers, whom a note may mention too), on SQLite or, with
--postgres, on a PostgreSQL cluster started for the run; 200 requests. Printed: the page's median and p95, and the
median of the note box's @mention list alone (`hub.incident_notes.first_mentionable`, the statement and the
handles), the part of the page that grows with the number of users.

    python bench/mention_page.py [--users 20000] [--agents 50] [--postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub import accounts, incident_notes
from hub.db import Database
from hub.migrate import upgrade
from hub.models import Incident, User, utcnow
from tests.conftest import make_settings
from tests.servers import PostgresCluster
from web import create_app

PASSWORD = "correct horse battery"
RUNS = 200


def timed(runs: int, action: Callable[[], object]) -> list[float]:
    """Milliseconds each of `runs` calls of `action` took, sorted."""
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        took.append((time.perf_counter() - start) * 1000)
    return sorted(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--postgres", action="store_true", help="a PostgreSQL cluster, not a SQLite file")
    args = parser.parse_args()
    cluster = PostgresCluster().start() if args.postgres else None
    try:
        home = Path(tempfile.mkdtemp()) / "var"
        settings = make_settings(home, **({"database_url": cluster.create_database("bench")} if cluster else {}))
        db = Database.connect(settings.database_url)
        upgrade(db.engine)
        now = utcnow()
        # Namesakes in several domains, as a large organisation has: user00042@a.example and user00042@b.example.
        rows = [{"email": f"user{i // 2:05d}@{'ab'[i % 2]}.example", "password_hash": "x", "active": True,
                 "role": "agent" if i < args.agents else "viewer", "created_at": now}
                for i in range(args.users)]  # fmt: skip
        with db.transaction() as session:
            session.execute(insert(User), rows)
            accounts.create_user(session, email="agent@example.com", password=PASSWORD, role="agent")
            incident = session.execute(insert(Incident).values(title="Printer", source="email"))
            ref = f"INC-{incident.inserted_primary_key[0]}"
        app = create_app(settings, db=db)
        app.config["WTF_CSRF_ENABLED"] = False
        client = app.test_client()
        client.post("/login", data={"email": "agent@example.com", "password": PASSWORD})
        assert b"data-mention-more" in client.get(f"/incidents/{ref}").data

        def page() -> None:
            assert client.get(f"/incidents/{ref}").status_code == 200

        def mention_list() -> None:
            with db.read() as session:
                incident_notes.first_mentionable(session.connection())

        pages, lists = timed(RUNS, page), timed(RUNS, mention_list)
        where = "PostgreSQL" if cluster is not None else "SQLite"
        print(f"{where}, {args.users + 1} active users ({args.agents + 1} agents): incident page median "
              f"{statistics.median(pages):.1f} ms, p95 {pages[int(RUNS * 0.95) - 1]:.1f} ms; @mention list alone "
              f"median {statistics.median(lists):.2f} ms")  # fmt: skip
        db.dispose()
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
