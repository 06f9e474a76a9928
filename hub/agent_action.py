"""What every agent action on an incident shares: who acted, where its mail comes from, the errors it answers
with, the locked row it changes and the text it accepts.

The actions themselves live in `hub/triage.py` (the incident's state: status, assignee, priority, ...) and
`hub/incident_notes.py` (what an agent writes on it: notes, replies, time spent); both take these from here, so
their callers build one `Actor` and one `Mail` and answer one `TriageError`, whichever action they call.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub.domain import format_ref, no_incident
from hub.errors import BadInput
from hub.mail_templates import DEFAULTS, MailTemplates
from hub.models import Incident
from hub.names import is_one_line
from hub.recipients import Sender

if TYPE_CHECKING:
    from hub.config import Settings

MAX_TEXT = 20_000  # a note, a reply or a resolution


class TriageError(BadInput):
    """The action does not fit the incident as it is now; the message says why and what would."""


class NoSuchIncident(TriageError):
    """The incident named does not exist."""


class NoSuchPart(TriageError):
    """The incident has nothing by the id given (a time entry): an API answers 404."""


class NothingWritten(TriageError):
    """A note, a reply or a resolution with no words (and a note or a reply with no file either): an API answers
    400, since the request is what is wrong, not the incident."""


class NotTheirs(TriageError):
    """What the action changes is someone else's (time they logged), which only they or an admin may change: an API
    answers 403."""


@dataclass(frozen=True)
class Actor:
    """Who acted: a person's email (UI) or an API token's name, for the timeline."""

    name: str


@dataclass(frozen=True)
class Mail:
    """Where agent mail comes from and links to (the desk's first address, the UI's public URL)."""

    desk_address: str
    base_url: str
    templates: MailTemplates = DEFAULTS  # the installation's: MailTemplates.at(settings.home)
    secret_key: str | None = field(default=None, repr=False)  # signs the satisfaction links (hub/satisfaction.py)
    desks: tuple[str, ...] = ()  # every address in SWITCHBOARD_DESK_ADDRESS: no requester there is mailed

    @classmethod
    def of(cls, settings: Settings) -> Mail:
        """The installation's: the pages, the API and the command line send as one desk."""
        return cls(settings.desk_address, settings.base_url, MailTemplates.at(settings.home), settings.secret_key,
                   settings.desk_addresses)  # fmt: skip

    @property
    def sender(self) -> Sender:
        return Sender(self.desk_address, self.base_url, self.templates, self.secret_key, desks=self.desks)


#: What an action's timeline line adds when the agent asked for it by email (hub/agent_mail.py).
BY_EMAIL = " by email"


def by_email(data: dict[str, Any], emailed: int | None) -> dict[str, Any]:
    """An entry's data, marked `by_email` when the action came as an agent's mail (`emailed`: its stored event)."""
    return {**data, "by_email": True} if emailed else data


def locked(session: Session, incident_id: int) -> Incident:
    """The incident, locked for the rest of the transaction so two agents' actions on it take turns."""
    incident = session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise NoSuchIncident(no_incident(format_ref(incident_id)))
    return incident


@dataclass(frozen=True)
class Locked:
    """What a note or a reply reads of its incident, locked at the Core level (`lock`), so the intake's transaction,
    which has no ORM session, writes them through the same functions the page does (hub/incident_notes.py)."""

    id: int
    title: str
    status: str
    priority: int
    requester: str | None
    source: str

    @property
    def ref(self) -> str:
        return format_ref(self.id)


def lock(conn: Connection, incident_id: int) -> Locked:
    """`locked`'s Core twin: the incident's row, locked for the rest of the transaction."""
    columns = (Incident.id, Incident.title, Incident.status, Incident.priority, Incident.requester, Incident.source)
    row = conn.execute(select(*columns).where(Incident.id == incident_id).with_for_update()).first()
    if row is None:
        raise NoSuchIncident(no_incident(format_ref(incident_id)))
    return Locked(*row)


def refuse_when(incident: Incident, statuses: Collection[str], then: str) -> None:
    """Refuse an action the incident's status rules out (a closed request's steps, a resolved incident's approval),
    saying what it is and `then`, what to do first: "INC-7 is closed; reopen it first to tick its steps". A merged
    duplicate is never reopened, so it names the incident to work on instead."""
    if incident.status in statuses:
        raise TriageError(worked_elsewhere(incident) or f"{incident.ref} is {incident.status}; {then}")


def worked_elsewhere(incident: Incident, instead: str = "work on") -> str | None:
    """For a merged duplicate, what to say instead of acting on it: "INC-7 was merged into INC-9: work on INC-9
    instead" (`instead`: the action to take there); None for any other incident. A duplicate stays closed: reopened,
    it would be open while its page, its requester's mail and the survivor's count say it is worked elsewhere, and
    there is no unmerging."""
    if incident.merged_into_id is None:
        return None
    survivor = format_ref(incident.merged_into_id)
    return f"{incident.ref} was merged into {survivor}: {instead} {survivor} instead"


def checked_text(text: str, what: str, *, files: int | None = None) -> str:
    """What an agent wrote (a note, a reply, a resolution), stripped; refused when too long to keep, and when empty
    unless it carries files. `files`: how many go with it, for what may carry them (a note, a reply), so that a
    screenshot needs no words around it."""
    text = text.strip()
    if not text and not files:
        then = "write something first" if files is None else "write something or attach a file"
        raise NothingWritten(f"the {what} is empty; {then}")
    if len(text) > MAX_TEXT:
        raise TriageError(f"the {what} is {len(text):,} characters; keep it under {MAX_TEXT:,}")
    return text


def checked_line(text: str, what: str, width: int, hint: str = "write something first") -> str:
    """A short one-line text an agent typed (a reason, a follow-up action), stripped; refused when empty (saying
    `hint`), longer than `width` or not one line."""
    text = text.strip()
    if not text:
        raise TriageError(f"the {what} is empty; {hint}")
    if len(text) > width:
        raise TriageError(f"the {what} is {len(text):,} characters; keep it under {width}")
    if not is_one_line(text):
        raise TriageError(f"the {what} must be one line of text, without control characters")
    return text
