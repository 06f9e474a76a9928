"""The groups and on-call pages' render time on a desk of --people N (5,000) agents: `GET /groups` and
`GET /oncall` through the whole app (session, route, queries, template) on SQLite, --runs times each (30), as an
admin; median and p95 are printed for each, with the page's size and how many <option>s it carries.

The pages read only the people they show (the groups' members, each rotation's people) and offer the rest as one
types (web/static/suggest.js), so their time should not grow with the desk. To compare with code that read
everyone, run the same script against another checkout:

    python bench/people_pickers.py [--people 5000] [--runs 30]
    PYTHONPATH=/path/to/other/checkout python bench/people_pickers.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from hub import accounts, groups, oncall
from hub.db import Database
from hub.migrate import upgrade
from hub.models import User, utcnow
from tests.conftest import make_settings
from web import create_app

PASSWORD = "correct horse battery"
#: A desk's teams: ten groups of six, each rotating on call.
GROUPS, MEMBERS = 10, 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    settings = make_settings(Path(tempfile.mkdtemp()) / "var")
    db = Database.connect(settings.database_url)
    upgrade(db.engine)
    now = utcnow()
    emails = [f"user{i:05d}@example.com" for i in range(args.people)]
    with db.transaction() as session:
        session.execute(insert(User), [{"email": e, "password_hash": "x", "role": "agent", "active": True,
                                        "created_at": now} for e in emails])  # fmt: skip
        accounts.create_user(session, email="root@example.com", password=PASSWORD, role="admin")
        for g in range(GROUPS):
            groups.save_group(session, f"team{g}", emails[g * MEMBERS : (g + 1) * MEMBERS])
            oncall.set_rotation(session, f"team{g}", zone="UTC", shift="1d", handoff="09:00", now=now)
    app = create_app(settings, db=db)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"email": "root@example.com", "password": PASSWORD})
    print(f"{args.people} people, {GROUPS} groups of {MEMBERS} on call, {args.runs} renders each")
    for path in ("/groups", "/oncall"):
        took = []
        for _ in range(args.runs):
            start = time.perf_counter()
            answer = client.get(path)
            took.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, answer.status_code
        took.sort()
        page = answer.get_data(as_text=True)
        print(f"{path:8} median {statistics.median(took):7.2f} ms  p95 {took[int(len(took) * 0.95) - 1]:7.2f} ms  "
              f"{len(page) / 1024:6.1f} KiB  {page.count('<option'):5} options")  # fmt: skip


if __name__ == "__main__":
    main()
