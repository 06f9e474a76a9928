"""CI suggestions' latency: `GET /suggest/cis?q=...` through the whole app (session, route, query, JSON) with
--cis N (50,000) active CIs on SQLite, 100 requests per typed text; median and p95 are printed for each.

What is typed ranges from what starts 20 names (read through the index alone) to what no name holds (the index
finds too few, so every name is read for those holding it elsewhere): the best and the worst case.

    python bench/ci_suggest_latency.py [--cis 50000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from hub import accounts
from hub.db import Database
from hub.migrate import upgrade
from hub.models import ConfigurationItem, utcnow
from tests.conftest import make_settings
from web import create_app

TYPED = ("s", "srv4", "srv4999", "srv49999.example.com", "example", "zzz")
PASSWORD = "correct horse battery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cis", type=int, default=50_000)
    count = parser.parse_args().cis
    settings = make_settings(Path(tempfile.mkdtemp()) / "var")
    db = Database.connect(settings.database_url)
    upgrade(db.engine)
    now = utcnow()
    rows = [{"name": f"srv{i:05d}.example.com", "name_key": f"srv{i:05d}.example.com", "kind": "server",
             "status": "active", "attributes": {}, "description": "", "created_at": now, "updated_at": now}
            for i in range(count)]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(ConfigurationItem), rows)
        accounts.create_user(session, email="agent@example.com", password=PASSWORD, role="agent")
    app = create_app(settings, db=db)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"email": "agent@example.com", "password": PASSWORD})
    for typed in TYPED:
        took = []
        for _ in range(100):
            start = time.perf_counter()
            answer = client.get("/suggest/cis", query_string={"q": typed})
            took.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, answer.status_code
        took.sort()
        found = len(answer.get_json())
        print(f"{typed!r:24} {found:2} names  median {statistics.median(took):6.2f} ms  p95 {took[94]:6.2f} ms")


if __name__ == "__main__":
    main()
