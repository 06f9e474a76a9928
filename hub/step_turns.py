"""Whose turn it is on a request's checklist: a step may be another team's ("Order it @procurement"), and when the
checklist reaches it, that group's active members are mailed that it is theirs (hub/request_steps.py calls here as
a request opens and as a step is ticked done, in that transaction).

Steps are sequential, so the turn is the first step not done: its group is told when the checklist comes to it,
not before (a step further on waits its turn), and once: hub/request_steps.py keeps when on the step (`told_at`),
so a tick undone and done again does not tell the group again. Each member may turn the mail off on /account
(hub/mail_choices.py, kind `step`); a group with no active members mails no one, and the timeline says so (once,
too), so the agent knows nobody was told.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection

from hub import mail_choices, notices
from hub.outbox import entry, owe, turned_down
from hub.recipients import Sender, active_members

#: The notice's kind, as the outbox, the timeline and the mail choices name it.
KIND = "step"


@dataclass(frozen=True)
class Turn:
    """The step whose turn has come, with what its mail says of the request."""

    incident_id: int
    title: str
    priority: int
    position: int  # 1-based, as the steps are listed
    text: str
    group: str


def tell(conn: Connection, turn: Turn, sender: Sender, *, skip: Collection[str] = ()) -> None:
    """Owe the group's active members (but those in `skip`, who just acted) one mail each that the step is their
    group's, in the caller's transaction; the timeline says who turned it down, or that the group has no one."""
    members = active_members(conn, turn.group)
    skipped = {person.lower() for person in skip}
    told, declined = mail_choices.sift({p: c for p, c in members.items() if p not in skipped}, KIND, turn.priority)
    also = turned_down(turn.incident_id, KIND, declined)
    if not members:
        also.append(entry(turn.incident_id, "notification",
                          f"Step {turn.position} is {turn.group}'s: no one told, the group has no active members",
                          data={"step": turn.position, "group": turn.group}))  # fmt: skip
    owed = [
        notices.step_turn(incident_id=turn.incident_id, title=turn.title, priority=turn.priority, recipient=person,
                          step=turn.position, text=turn.text, group=turn.group, desk_address=sender.desk_address,
                          base_url=sender.base_url, templates=sender.templates)
        for person in told
    ]  # fmt: skip
    owe(conn, turn.incident_id, owed, also)
