"""A problem's states and which may follow which: plain data, so `switchboard problem --help` imports no database."""

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
