"""Rules workbench: the Backtest button over the last 10,000 stored events, as an admin's browser asks for it.

Setup (not timed): bench/rules_backtest.py's database (--events stored generic-webhook events from 40 teams) and
its live rule book of --rules rules stored through hub/rulebook.py, an admin logged in to the Flask app.
Timed: POST /rules/new with do=backtest and a draft that routes two teams elsewhere: validating the draft against
the stored rules (rules.workbench.candidate), reading the events back, the backtest, and rendering the page with
its first 200 changed events. Median of --repeat requests.
Baseline in the same run: the core path alone, with the same rules and events (bench/rules_backtest.py's timed
read-back plus `rules.backtest.backtest`), so the difference is what the web layer adds.

    python bench/rules_workbench.py [--events 10000] [--rules 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import MappingProxyType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rules_backtest import seed, timed
from rules_eval import rule_book
from support import run_main

from hub.accounts import create_user  # support put the project on the path
from hub.config import Settings
from hub.db import Database
from hub.domain import RuleBook, RuleSpec
from hub.migrate import upgrade
from hub.rulebook import load, replace_all
from web import create_app

PASSWORD = "bench passphrase long"
DRAFT = {
    "name": "teams 1 and 2 to networks",
    "when": "{field: labels.team, op: in, value: [team-1, team-2]}",
    "sets": "category: network\nassignee: net@example.com\nimpact: 1\nurgency: 1\n",
    "enabled": "y",
    "shape": "event",
    "do": "backtest",
}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = Settings(home=home, database_url=f"sqlite:///{home / 'bench.db'}", redis_url=None,
                            secret_key="bench-secret-key")  # fmt: skip
        db = Database.connect(settings.database_url, timeout=30)
        upgrade(db.engine)
        seed(db, args.events)
        with db.transaction() as s:
            replace_all(s, rule_book(args.rules).rules, author="bench")
            create_user(s, email="admin@example.com", password=PASSWORD, role="admin")
        with db.read() as s:
            live = load(s)
        teams = {"field": "labels.team", "op": "in", "value": ["team-1", "team-2"]}
        moved = RuleSpec(id=0, name=DRAFT["name"], when=teams,
                         actions=MappingProxyType({"category": "network", "assignee": "net@example.com",
                                                   "impact": 1, "urgency": 1}))  # fmt: skip
        load_s, decide_s, counts = timed(
            db, live, RuleBook(-1, (moved, *live.rules), settings=live.settings), args.events
        )

        app = create_app(settings, db=db)
        client = app.test_client()
        token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token})
        token = _CSRF.search(client.get("/rules/new").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        seconds = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.post("/rules/new", data={**DRAFT, "limit": str(args.events), "csrf_token": token})
            seconds.append(time.perf_counter() - started)
            page = response.get_data(as_text=True)
            assert response.status_code == 200, page[:2000]
            changed = 2 * args.events // 40  # teams 1 and 2 of 40
            assert f"Backtest: {args.events} stored event(s), {changed} treated differently" in page, page[:2000]
        db.dispose()
    web = statistics.median(seconds)
    core = load_s + decide_s
    print(f"{args.events} stored events, live {args.rules} rules vs the draft; recategorised {counts['recategorised']}")
    print(f"{'':>34}  {'seconds':>8}")
    print(f"{'workbench POST backtest (median)':>34}  {web:8.2f}")
    print(f"{'baseline: read back + backtest':>34}  {core:8.2f}")
    print(f"web layer adds {web - core:+.2f} s ({web / core:.2f}x); target < 10 s: {'met' if web < 10 else 'MISSED'}")
    return 0 if web < 10 else 1


if __name__ == "__main__":
    run_main(main)
