"""A problem's states, which may follow which, and how many incidents resolving one takes at a time: plain data, so
`switchboard problem --help` imports no database."""

STATES = ("new", "investigating", "known_error", "resolved", "closed")
#: state -> the states it may move to
MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"investigating", "known_error", "closed"}),
    "investigating": frozenset({"known_error", "resolved", "closed"}),
    "known_error": frozenset({"investigating", "resolved"}),
    "resolved": frozenset({"closed", "investigating"}),
    "closed": frozenset(),
}
#: Problems in these states still explain new incidents of their recurrence.
ACTIVE = ("new", "investigating", "known_error")
#: Open incidents one request resolves with their problem, the oldest first (hub/problem_resolution.py). Each took
#: up to 20 ms (SQLite, 2 busy cores), all in one transaction holding SQLite's write lock: 100 keep it under 2 s,
#: well inside the 5 s other writers wait for it (SWITCHBOARD_DB_TIMEOUT_MS). The workers resolve the
#: rest in batches of as many, each its own transaction (hub/problem_followthrough.py).
BATCH = 100
