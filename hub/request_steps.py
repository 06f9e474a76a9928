"""A request type's fulfilment steps ("Order it", "Image it", "Hand it over"): checked here as an admin types them
(hub/request_types.py keeps them on the type), copied onto each request as the intake opens it, and ticked off by
agents on the incident page, `switchboard incident step` and the API, each tick on the timeline.

Copied rather than read from the type, so that editing a type's steps changes the requests opened after, never a
checklist an agent is halfway through. A step is a reminder, not a gate: a request resolves with steps not done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.orm import Session

from hub.agent_action import Actor, NoSuchPart, locked, refuse_when
from hub.db import Database
from hub.domain import format_ref
from hub.errors import BadField
from hub.models import RequestStep, utcnow
from hub.names import is_one_line
from hub.outbox import entry
from hub.prepared import Prepared
from hub.statements import INSERT_TIMELINE

MAX_STEPS = 20
MAX_STEP = 200
#: Whose steps stay as they are: a closed request's record is final, while a resolved one's checklist is still
#: tidied by the agent who resolved it.
FROZEN = ("closed",)
_INSERT_STEPS = Prepared(insert(cast(Table, RequestStep.__table__)), ("incident_id", "position", "text"))


@dataclass(frozen=True)
class Step:
    """One step of a request's checklist, as the page, the CLI and the API show it."""

    position: int
    text: str
    done_at: datetime | None
    done_by: str | None

    def as_json(self) -> dict[str, Any]:
        done_at = self.done_at.isoformat() if self.done_at is not None else None
        return {"position": self.position, "text": self.text, "done": self.done_at is not None,
                "done_at": done_at, "done_by": self.done_by}  # fmt: skip


@dataclass(frozen=True)
class Progress:
    """How far a request's checklist has come, as the incident list shows it ("2/3 steps") and its JSON carries it."""

    done: int
    total: int


def progress_json(progress: Progress | None) -> dict[str, int | None]:
    """`steps_done` and `steps_total` as the incident JSON carries them: null for an incident without steps, as its
    other fields that do not apply."""
    return {"steps_done": progress.done if progress else None, "steps_total": progress.total if progress else None}


def checked(steps: Iterable[str], field: str = "steps") -> tuple[str, ...]:
    """The steps, stripped and checked: at most MAX_STEPS, each one line of 1 to MAX_STEP characters; BadField
    about `field`."""
    result = tuple(step.strip() if isinstance(step, str) else step for step in steps)
    if len(result) > MAX_STEPS:
        raise BadField(field, f"a request type has at most {MAX_STEPS} steps; this one has {len(result)}")
    for number, step in enumerate(result, 1):
        if not isinstance(step, str) or not step or len(step) > MAX_STEP or not is_one_line(step):
            raise BadField(field, f"step {number} is 1 to {MAX_STEP} characters on one line, like “Order it”")
    return result


def parse_lines(text: str, field: str = "steps") -> tuple[str, ...]:
    """The steps of a textarea, one a line (blank lines skipped), checked."""
    return checked([line for line in text.replace("\r\n", "\n").split("\n") if line.strip()], field)


def from_json(value: Any, field: str = "steps") -> tuple[str, ...]:
    """The steps as the API and the table keep them (a list of strings), checked."""
    if not isinstance(value, list):
        raise BadField(field, 'give the steps as a list of lines, like ["Order it", "Hand it over"]')
    return checked(value, field)


def copy_on_opening(conn: Connection, incident_id: int, steps: Sequence[str]) -> None:
    """Give the request just opened its type's steps, in the intake's transaction: one insert, none for no steps."""
    if steps:
        rows = [{"incident_id": incident_id, "position": n, "text": text} for n, text in enumerate(steps, 1)]
        _INSERT_STEPS.execute_many(conn, rows)


def of_incident(session: Session, incident_id: int) -> list[Step]:
    """The incident's steps in order; none for an incident opened without a request type's steps."""
    rows = session.scalars(
        select(RequestStep).where(RequestStep.incident_id == incident_id).order_by(RequestStep.position)
    )
    return [Step(row.position, row.text, row.done_at, row.done_by) for row in rows]


def tick(db: Database, incident_id: int, position: int, actor: Actor, *, done: bool = True) -> Step | None:
    """Mark step `position` (1-based) of the incident done, or not done with `done=False`, on its timeline by
    `actor`. Returns the step as it is now, or None when it already was so (nothing written). Refused on a closed
    incident (FROZEN), not on a resolved one."""
    with db.transaction() as session:
        refuse_when(locked(session, incident_id), FROZEN, "reopen it first to tick its steps")
        row = session.scalar(
            select(RequestStep).where(RequestStep.incident_id == incident_id, RequestStep.position == position)
        )
        if row is None:
            raise NoSuchPart(f"{format_ref(incident_id)} has no step {position}: its steps are numbered as the "
                             "incident page lists them")  # fmt: skip
        if (row.done_at is not None) == done:
            return None
        row.done_at, row.done_by = (utcnow(), actor.name) if done else (None, None)
        summary = f"Step {'done' if done else 'not done after all'}: {row.text}"
        data = {"by": actor.name, "step": position, "text": row.text, "done": done}
        INSERT_TIMELINE.execute(session.connection(), entry(incident_id, "step", summary, data=data))
        return Step(row.position, row.text, row.done_at, row.done_by)


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
