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
#: Open incidents one request resolves with their problem, the oldest first (hub/problem_resolution.py): about
#: 15 ms each, so a request stays well inside its timeout; asking again takes the next ones.
BATCH = 200
