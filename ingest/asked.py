"""The help centre's "Ask the desk" form as an event, sent through the intake exactly once (hub/pending_requests.py).

`question` checks what was typed (pure), with the limits of an incident an agent logs (ingest/logged.py): the
subject is one line, since it becomes the incident's title and the acknowledgement's Subject header, and the
service is one of the public ones. `confirm` sends a request whose link's button was pressed: claimed, recorded
by the intake as an event from source `web` (requester: the address; title: the subject; description: what
happened; labels `channel: web` and the `service` chosen, which the rules' conditions read as an alert's; the
kind the requester chose, "Something is broken" an incident and "I need something" a service request, which a
rule's `kind` may still change; a request asked as a request type of the catalogue, hub/request_types.py, names it
as the event's `request_type`, its answers following the requester's text in the description), then settled.
Everything an email gets follows from the intake: the rules, the SLA, the acknowledgement with the reference and
the "Follow your request" link. `upkeep` is the dispatcher's step (the `switchboard.upkeep` entry point
`ask-the-desk`) that sends what a crash left pressed but unsent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from hub import contacts, pending_requests
from hub.addresses import is_address
from hub.config import Settings
from hub.db import Database
from hub.domain import INCIDENT_KINDS, InboundEvent
from hub.errors import StorageUnavailable
from hub.intake import Intake, Raw
from hub.models import utcnow
from hub.names import is_one_line
from hub.pending_requests import Pending, Question
from hub.request_questions import answers, described
from hub.request_types import TypeView
from hub.signed_links import Claim
from ingest.logged import MAX_DESCRIPTION, InvalidField
from ingest.pipeline import make_intake
from ingest.webhooks.generic import MAX_TITLE

log = logging.getLogger(__name__)

SOURCE = pending_requests.SOURCE
FIELDS = ("email", "subject", "body", "service", "kind", "request_type")
MAX_SUBJECT = MAX_TITLE
MAX_BODY = MAX_DESCRIPTION
#: How long pressing the button waits for another press of it (a double click, a second tab) to finish sending.
WAIT_FOR_OTHER = 5.0
_POLL = 0.05


def question(fields: Mapping[str, str], public: Sequence[str], asked_for: TypeView | None = None) -> Question:
    """The request as typed into the form's `fields`, checked; InvalidField (or BadField, about an answer) names
    the field that is wrong. `public`: the services the status page shows, the only ones a requester may choose.
    `asked_for`: the active request type the form is for (hub/request_types.py `offered`): a service request whose
    questions are answered, its subject the type's name unless one is typed, and nothing more needed in `body`."""
    if asked_for is not None:
        answered = answers(asked_for.questions, fields)
        typed = {**fields, "kind": "request", "subject": (fields.get("subject") or "").strip() or asked_for.name}
        found = _question(typed, public, body_needed=False)
        # The type's service, when it names one and the requester chose none: its SLA and owner group follow.
        return replace(
            found, request_type_id=asked_for.id, answers=answered, service=found.service or asked_for.service
        )
    return _question(fields, public)


def _question(fields: Mapping[str, str], public: Sequence[str], *, body_needed: bool = True) -> Question:
    email = (fields.get("email") or "").strip().lower()
    if not email:
        raise InvalidField("email", "enter your email address: our answer goes there")
    if not is_address(email):
        raise InvalidField("email", "enter one email address, like ann@example.com")
    subject = (fields.get("subject") or "").strip()
    if not subject:
        raise InvalidField("subject", "say in a few words what it is about, like “Cannot print on floor 3”")
    if not is_one_line(subject):
        raise InvalidField("subject", "keep the subject to one line; the details go below")
    if len(subject) > MAX_SUBJECT:
        raise InvalidField("subject", f"the subject is {len(subject):,} characters long; keep it under {MAX_SUBJECT} "
                                      "and put the details below")  # fmt: skip
    body = (fields.get("body") or "").replace("\r\n", "\n").strip()
    if not body and body_needed:
        raise InvalidField("body", "say what happened: what you tried, what you saw, and since when")
    if len(body) > MAX_BODY:
        raise InvalidField("body", f"this is {len(body):,} characters long; at most {MAX_BODY:,} fit. Shorten it, "
                                   "or email the desk instead, with files attached")  # fmt: skip
    service = (fields.get("service") or "").strip() or None
    if service is not None and service not in public:
        raise InvalidField("service", "choose a service from the list, or “I don't know”")
    kind = (fields.get("kind") or "").strip() or INCIDENT_KINDS[0]  # a page from before the form asked
    if kind not in INCIDENT_KINDS:
        raise InvalidField("kind", "choose “Something is broken” or “I need something”")
    return Question(email, subject, body, service, kind)


def event_of(request: Pending) -> tuple[Raw, InboundEvent]:
    """What the intake records for a request: the request as stored, as JSON, and the event it means."""
    raw = Raw(source=SOURCE, content_type="application/json", body=pending_requests.as_raw(request))
    labels = {"channel": SOURCE, **({"service": request.service} if request.service else {})}
    event = InboundEvent(source=SOURCE, title=request.subject, description=described(request.body, request.answers),
                         requester=request.email, labels=MappingProxyType(labels), message_id=request.marker,
                         kind=request.kind, request_type=request.request_type)  # fmt: skip
    return raw, event


def confirm(db: Database, intake: Intake, claim: Claim, *, wait: float = WAIT_FOR_OTHER) -> Pending:
    """Send the request a link names, once however often its button is pressed; the request as it then stands:
    `sent` (with its incident), or not yet when another press is still sending it after `wait` seconds.

    StaleLink when the request is gone. When the intake did not commit (StorageUnavailable), the claim ends at once,
    so that pressing again sends it (or the upkeep does), and the error is raised."""
    taken_at = utcnow()
    with db.transaction() as session:
        found, mine = pending_requests.take(session, claim, taken_at)
        if mine:  # only now is the address known to be its owner's: a contact, and the event gets its organisation
            raw, event = event_of(found)
            event = contacts.remember_sender(session.connection(), event)
    if not mine:
        return found if found.sent else _await(db, claim, wait)
    try:
        with db.read() as session:
            earlier = pending_requests.recorded(session, found)  # recorded before a crash, but not settled
        incident_id = earlier[0] if earlier is not None else intake.record(raw, event).incident_id
    except Exception:
        _give_up(db, found, taken_at)
        raise
    with db.transaction() as session:
        return pending_requests.settle(session, found, incident_id, utcnow())


def _await(db: Database, claim: Claim, wait: float) -> Pending:
    """The request once the press that is sending it has settled it, or as it is after `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        with db.read() as session:
            found = pending_requests.read(session, claim)
        if found.sent or time.monotonic() >= deadline:
            return found
        time.sleep(_POLL)


def _give_up(db: Database, found: Pending, taken_at: datetime) -> None:
    try:
        with db.transaction() as session:
            pending_requests.release(session, found, taken_at)
    except Exception as exc:  # the upkeep sends it once the claim runs out
        log.warning("request %s stays claimed until its claim runs out: %s", found.id, exc)


def send_unsent(db: Database, intake: Intake) -> int:
    """Send the requests whose button was pressed but whose sending never finished (a crash, a failed intake);
    returns how many. One that fails again is logged and tried at the next upkeep; a database that is away stops
    the round (StorageUnavailable), as it stops every chore."""
    with db.read() as session:
        claims = pending_requests.unsent(session, utcnow())
    sent = 0
    for claim in claims:
        try:
            sent += confirm(db, intake, claim, wait=0).sent
        except StorageUnavailable:
            raise
        except Exception:  # this one request's trouble must not hold up the others
            log.exception(
                "request %s from the help centre was not sent; trying again at the next upkeep", claim.incident_id
            )
    return sent


def upkeep(settings: Settings, db: Database) -> Callable[[], int]:
    """The dispatcher's upkeep step (the `switchboard.upkeep` entry point `ask-the-desk`), built once per dispatcher."""
    intake = make_intake(settings, db)

    def send_unsent_requests() -> int:
        return send_unsent(db, intake)

    return send_unsent_requests
