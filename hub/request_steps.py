"""A request type's fulfilment steps ("Order it", "Image it", "Hand it over"): checked here as an admin types them
(hub/request_types.py keeps them on the type), copied onto each request as the intake opens it, and ticked off by
agents on the incident page, `switchboard incident step` and the API, each tick on the timeline.

Copied rather than read from the type, so that editing a type's steps changes the requests opened after, never a
checklist an agent is halfway through. A step is a reminder, not a gate: a request resolves with steps not done.

A step may be another group's ("Order it @procurement" on the form and the command line, {"text": "Order it",
"group": "procurement"} in the JSON): when the checklist comes to it, as the request opens or as the step before is
ticked done, that group's members are told (hub/step_turns.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.orm import Session

from hub.agent_action import Actor, Mail, NoSuchPart, locked, refuse_when
from hub.db import Database
from hub.domain import format_ref
from hub.errors import BadField
from hub.models import Group, Incident, RequestStep, utcnow
from hub.names import is_one_line
from hub.outbox import entry
from hub.prepared import Prepared
from hub.recipients import Sender
from hub.statements import INSERT_TIMELINE
from hub.step_turns import Turn, tell

MAX_STEPS = 20
MAX_STEP = 200
#: Whose steps stay as they are: a closed request's record is final, while a resolved one's checklist is still
#: tidied by the agent who resolved it.
FROZEN = ("closed",)
_INSERT_STEPS = Prepared(insert(cast(Table, RequestStep.__table__)),
                         ("incident_id", "position", "text", "group_name", "told_at"))  # fmt: skip
#: A line's trailing group: " @procurement" (a group's name has no @, hub/groups.py, but may have spaces).
_GROUP = re.compile(r"\s@([^@\s][^@]*)$")
_GROUPS = "`switchboard group list` shows them"
#: A group meant but not written as one: a lone "@" as the last word ("Order it @") or before it ("Order it @ desk").
_LOOSE_AT = re.compile(r"(?:^|\s)@(?:\s+(?P<word>[^@\s]+))?$")


@dataclass(frozen=True)
class Planned:
    """One step as a request type has it: its words, and the group whose turn it is, if not the assignee's."""

    text: str
    group: str | None = None

    def as_json(self) -> str | dict[str, str]:
        """As the type's `steps` keep it and the API gives it: the words alone without a group, as before groups."""
        return self.text if self.group is None else {"text": self.text, "group": self.group}

    def as_line(self) -> str:
        """As the form's textarea and the command line write it: "Order it @procurement"."""
        return self.text if self.group is None else f"{self.text} @{self.group}"


@dataclass(frozen=True)
class Step:
    """One step of a request's checklist, as the page, the CLI and the API show it."""

    position: int
    text: str
    done_at: datetime | None
    done_by: str | None
    group: str | None = None  # the group whose step it is; None: the assignee's

    def as_json(self) -> dict[str, Any]:
        done_at = self.done_at.isoformat() if self.done_at is not None else None
        return {"position": self.position, "text": self.text, "group": self.group,
                "done": self.done_at is not None, "done_at": done_at, "done_by": self.done_by}  # fmt: skip


@dataclass(frozen=True)
class Progress:
    """How far a request's checklist has come, as the incident list shows it ("2/3 steps") and its JSON carries it."""

    done: int
    total: int


def progress_json(progress: Progress | None) -> dict[str, int | None]:
    """`steps_done` and `steps_total` as the incident JSON carries them: null for an incident without steps, as its
    other fields that do not apply."""
    return {"steps_done": progress.done if progress else None, "steps_total": progress.total if progress else None}


def checked(steps: Iterable[str | Planned], field: str = "steps") -> tuple[Planned, ...]:
    """The steps, stripped and checked: at most MAX_STEPS, each one line of 1 to MAX_STEP characters (a plain
    string is the words of a step without a group), none ending in a lone "@" meant for a group ("Order @ desk",
    refused on the form, the command line and the API alike, rather than kept as words); BadField about `field`.
    Whether each group exists is the saving transaction's check (`check_groups`)."""
    result = tuple(_planned(step) for step in steps)
    if len(result) > MAX_STEPS:
        raise BadField(field, f"a request type has at most {MAX_STEPS} steps; this one has {len(result)}")
    for number, step in enumerate(result, 1):
        if step is None or not step.text or len(step.text) > MAX_STEP or not is_one_line(step.text):
            raise BadField(field, f"step {number} needs 1 to {MAX_STEP} characters on one line, like “Order it”")
        if loose := _LOOSE_AT.search(step.text):
            meant = f"{step.text[: loose.start()].strip() or 'Order it'} @{loose['word'] or 'procurement'}"
            raise BadField(field, f"step {number}, {step.text!r}, has an @ on its own: write the group right after "
                                  f"the @: {meant!r}")  # fmt: skip
        if step.group is not None and (not is_one_line(step.group) or "@" in step.group):
            raise BadField(field, f"step {number}'s group is a group's name (one line, no @), like “Order it "
                                  "@procurement”")  # fmt: skip
    return cast(tuple[Planned, ...], result)


def _planned(step: object) -> Planned | None:
    if isinstance(step, str):
        return Planned(step.strip())
    if isinstance(step, Planned) and isinstance(step.text, str) and isinstance(step.group, str | None):
        return Planned(step.text.strip(), (step.group or "").strip() or None)  # "" or blank: no group
    return None


def parse_line(line: str) -> Planned:
    """One step as typed: its words, then perhaps " @group" ("Order it @procurement"). Not yet checked."""
    line = line.strip()
    found = _GROUP.search(line)
    if found is None:
        return Planned(line)
    return Planned(line[: found.start()].strip(), found.group(1).strip())


def parse_lines(text: str, field: str = "steps") -> tuple[Planned, ...]:
    """The steps of a textarea, one a line (blank lines skipped), checked."""
    return checked([parse_line(line) for line in text.replace("\r\n", "\n").split("\n") if line.strip()], field)


def from_json(value: Any, field: str = "steps") -> tuple[Planned, ...]:
    """The steps as the API and the table keep them, checked: each a string (a step without a group) or an object
    {"text": ..., "group": ...} ("group" null or left out: none)."""
    if not isinstance(value, list):
        raise BadField(field, 'give the steps as a list of lines, like ["Order it", "Hand it over"], or of '
                              'objects, like {"text": "Order it", "group": "procurement"}')  # fmt: skip
    return checked([_from_object(step, field) if isinstance(step, dict) else step for step in value], field)


def _from_object(step: dict[str, Any], field: str) -> Planned:
    if unknown := sorted(set(step) - {"text", "group"}):
        raise BadField(field, f'a step is {{"text": ..., "group": ...}}; not {", ".join(unknown)[:100]}')
    return Planned(step.get("text"), step.get("group"))  # type: ignore[arg-type]  # checked() refuses non-strings


def read(stored: Sequence[Any] | None) -> tuple[Planned, ...]:
    """The steps as a type's row keeps them (checked as saved), read back: no checks, no query."""
    return tuple(Planned(step["text"], step.get("group")) if isinstance(step, dict) else Planned(step)
                 for step in stored or ())  # fmt: skip


def check_groups(session: Session | Connection, steps: Sequence[Planned], field: str = "steps") -> None:
    """Refuse steps naming a group there is not (one query, none when no step names one), as the type is saved."""
    named = {step.group for step in steps if step.group is not None}
    if not named:
        return
    there = set(session.execute(select(Group.name).where(Group.name.in_(named))).scalars())
    for number, step in enumerate(steps, 1):
        if step.group is not None and step.group not in there:
            raise BadField(field, f"step {number} names no group there is: {step.group!r}; {_GROUPS}, or make it "
                                  "on the Groups page")  # fmt: skip


def copy_on_opening(
    conn: Connection, incident_id: int, steps: Sequence[Planned], *, title: str, priority: int, sender: Sender
) -> None:
    """Give the request just opened its type's steps, in the intake's transaction: one insert, none for no steps;
    when the first is a group's, its members are told it is their turn (hub/step_turns.py), and the step keeps when
    (`told_at`, in the same insert), so its turn coming again tells them no more."""
    if not steps:
        return
    first_told = utcnow() if steps[0].group is not None else None
    rows = [{"incident_id": incident_id, "position": n, "text": step.text, "group_name": step.group,
             "told_at": first_told if n == 1 else None} for n, step in enumerate(steps, 1)]  # fmt: skip
    _INSERT_STEPS.execute_many(conn, rows)
    if steps[0].group is not None:
        tell(conn, Turn(incident_id, title, priority, 1, steps[0].text, steps[0].group), sender)


def of_incident(session: Session, incident_id: int) -> list[Step]:
    """The incident's steps in order; none for an incident opened without a request type's steps."""
    rows = session.scalars(
        select(RequestStep).where(RequestStep.incident_id == incident_id).order_by(RequestStep.position)
    )
    return [Step(row.position, row.text, row.done_at, row.done_by, row.group_name) for row in rows]


def tick(db: Database, incident_id: int, position: int, actor: Actor, mail: Mail, *, done: bool = True) -> Step | None:
    """Mark step `position` (1-based) of the incident done, or not done with `done=False`, on its timeline by
    `actor`. Returns the step as it is now, or None when it already was so (nothing written). Refused on a closed
    incident (FROZEN), not on a resolved one. A tick that brings the checklist to a group's step tells that group
    (`_turn_after`) in the same transaction."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        refuse_when(incident, FROZEN, "reopen it first to tick its steps")
        row = session.scalar(
            select(RequestStep).where(RequestStep.incident_id == incident_id, RequestStep.position == position)
        )
        if row is None:
            raise NoSuchPart(_no_step(session, incident_id, position))
        if (row.done_at is not None) == done:
            return None
        row.done_at, row.done_by = (utcnow(), actor.name) if done else (None, None)
        summary = f"Step {'done' if done else 'not done after all'}: {row.text}"
        data = {"by": actor.name, "step": position, "text": row.text, "done": done}
        INSERT_TIMELINE.execute(session.connection(), entry(incident_id, "step", summary, data=data))
        if done:
            _turn_after(session, position, incident, mail, actor)
        return Step(row.position, row.text, row.done_at, row.done_by, row.group_name)


def _no_step(session: Session, incident_id: int, position: int) -> str:
    """Why there is no step `position` to tick, and which steps there are."""
    count = session.scalar(select(func.count()).select_from(RequestStep).where(RequestStep.incident_id == incident_id))
    if not count:
        return (f"{format_ref(incident_id)} has no steps: only a request opened from a request type with fulfilment "
                "steps has them")  # fmt: skip
    return f"{format_ref(incident_id)} has no step {position}: its steps are 1 to {count}, as its page lists them"


def _turn_after(session: Session, position: int, incident: Incident, mail: Mail, actor: Actor) -> None:
    """Tell the group of the first step not done, when ticking step `position` done just brought the checklist to
    it (every step before `position` was done already); not the agent who ticked it, though in that group. Once per
    step: a tick undone and ticked again brings the turn back to a group already told (`told_at`), which is not
    told again, lest each click mail the whole group."""
    current = session.scalar(
        select(RequestStep)
        .where(RequestStep.incident_id == incident.id, RequestStep.done_at.is_(None))
        .order_by(RequestStep.position)
        .limit(1)
    )
    if current is None or current.position < position or current.group_name is None or current.told_at is not None:
        return
    current.told_at = utcnow()  # the incident's row is locked: two ticks cannot both find it not told
    turn = Turn(incident.id, incident.title, incident.priority, current.position, current.text, current.group_name)
    tell(session.connection(), turn, mail.sender, skip=[actor.name])


def progress_of(steps: Sequence[Step]) -> Progress | None:
    """The progress of steps already read (an incident's page, its API read), None for none."""
    return Progress(sum(step.done_at is not None for step in steps), len(steps)) if steps else None


def progress_among(conn: Connection, incident_ids: Sequence[int]) -> dict[int, Progress]:
    """The progress of each of these incidents that has steps: one grouped query for a page of the list, whatever
    its length (down `ix_request_steps_incident_id`)."""
    if not incident_ids:
        return {}
    query = (
        select(RequestStep.incident_id, func.count(RequestStep.done_at), func.count())
        .where(RequestStep.incident_id.in_(incident_ids))
        .group_by(RequestStep.incident_id)
    )
    return {incident_id: Progress(done, total) for incident_id, done, total in conn.execute(query)}


def tickable(status: str) -> bool:
    """Whether an incident with this status may have its steps ticked: the page offers its tick boxes only then."""
    return status not in FROZEN


def not_done(session: Session | Connection, incident_id: int) -> int:
    """How many of the incident's steps are not done (0 for none at all)."""
    found = session.execute(
        select(RequestStep.id).where(RequestStep.incident_id == incident_id, RequestStep.done_at.is_(None))
    ).all()
    return len(found)
