"""What one flash says of a bulk action on the incident list: each ticked incident's own outcome, in one message.

Pure, so the wording is tested without a request. The incidents changed are counted and named, those the hub
refused are named with its reason (several with the same reason share one sentence: an unknown assignee is said
once, not two hundred times), and, when whoever acts lost the right to act partway through, those left unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The list page's bulk actions, as the message says they were done.
DONE_WORDS = {"acknowledge": "Acknowledged", "resolve": "Resolved", "close": "Closed", "assign": "Assigned"}
#: How many references one part of the message names before it counts the rest.
NAMED = 20
#: How many distinct reasons it gives before it counts the rest.
REASONS = 10


@dataclass
class BulkReport:
    """The outcome of one bulk action, incident by incident, in the order they were tried."""

    action: str
    done: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)  # reason (without the reference) -> references
    stopped: list[str] = field(default_factory=list)  # not tried: whoever acts lost the right meanwhile
    stopped_why: str = ""

    def refuse(self, ref: str, reason: str) -> None:
        """`ref` was left as it was for `reason` (the hub's words, which may start with the reference)."""
        said = reason.strip().rstrip(".")
        if said.startswith(f"{ref} "):  # "INC-12 is resolved; only ..." -> "is resolved; only ..."
            said = said[len(ref) + 1 :]
        elif not said.startswith(("is ", "was ", "has ")):
            said = f": {said}"
        self.refused.setdefault(said, []).append(ref)

    @property
    def all_done(self) -> bool:
        return not self.refused and not self.stopped

    def message(self) -> str:
        parts = (
            [f"{DONE_WORDS.get(self.action, self.action)} {len(self.done)}: {_named(self.done)}"] if self.done else []
        )
        reasons = list(self.refused.items())
        for said, refs in reasons[:REASONS]:
            parts.append(f"{_named(refs)}{'' if said.startswith(':') else ' '}{said}")
        if len(reasons) > REASONS:
            left = sum(len(refs) for _, refs in reasons[REASONS:])
            parts.append(f"{left} more {'was' if left == 1 else 'were'} not changed for other reasons")
        if self.stopped:
            parts.append(f"{_named(self.stopped)} not changed: {self.stopped_why.strip().rstrip('.')}")
        if not self.done:
            parts.insert(0, f"Nothing was {DONE_WORDS.get(self.action, self.action).lower()}")
        return "; ".join(parts) + "."


def _named(refs: list[str]) -> str:
    shown = ", ".join(refs[:NAMED])
    return shown if len(refs) <= NAMED else f"{shown} and {len(refs) - NAMED} more"
