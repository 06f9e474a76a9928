"""An agent works an incident from their mailbox: their answer to its mail becomes, as them, the reply to the
requester the incident page sends, or, by a first word (`COMMANDS`), an internal note, the reply with the incident
set waiting on the requester, or its resolution, where other people's mail is only added to the timeline.

An email's From is anyone's to write, so this authority is granted only when the organisation's receiving mail
server verified the From (`InboundEvent.sender_verified`: SenderCheck `pass`, which nothing gives until
SWITCHBOARD_MAIL_AUTHSERV_ID names that server), to an active user whose role works incidents (hub/assignees.py
`why_not`, the rule `--as` follows), on an incident not closed nor merged (those keep their routes:
hub/mail_threads.py; a resolved one's answer is the agent's last word to the requester, which reopens nothing), and
never for automatic mail (out-of-office, bounce, loop) nor from the incident's own requester (then they are asking,
not answering). Anything else, and a mail with no words of its own (only quoted history), is added to the thread as
before; so is a status line the page would refuse (resolving a resolved incident), and a reply with no one to go to
(an alert's incident has no requester), the timeline saying why.

Each action is the page's own function (hub/incident_notes.py, hub/triage.py `status_change`), inside a savepoint,
so a refusal leaves nothing of it behind. The mail's files are listed against its event, as every email's are, and
a reply sends those the page would let it carry (hub/agent_mail_files.py).

The checks that need no query come first, so every mail of an installation without the setting, and a requester's
mail on their own incident, costs no statement more; the sender's users row is read only for a verified mail from
someone else. Locks: that row (FOR SHARE on PostgreSQL, as `Database.guarded` holds it for the page's reply) before
the incident's (FOR UPDATE, hub/agent_action.py `lock`), the page's order, so the two never wait on each other
crosswise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub import assignees, triage
from hub.agent_action import Actor, Locked, Mail, TriageError, checked_text, lock
from hub.agent_mail_files import choose, listed, not_sent_line
from hub.attachments import DEFAULT_LIMITS, AttachmentLimits
from hub.domain import InboundEvent
from hub.errors import BadInput
from hub.incident_notes import no_one_to_reply_to, status_after_reply, write_note, write_reply
from hub.intake_notices import NoticeSettings
from hub.intake_writes import Outcome, Raw, add_to_thread, store_event
from hub.mail_threads import Thread
from hub.models import User
from hub.outbox import entry
from hub.sla_pauses import WAITING
from hub.statements import INSERT_TIMELINE

Kind = Literal["reply", "note", "waiting", "resolve"]
#: The first words that make an agent's mail more than a reply, on a line of their own or before the text: an
#: internal note; the reply, then the incident waits on the requester; its resolution (the requester's resolution
#: mail says it: no reply goes besides). Only the mail's first word is read so: any other, `#` or not, is text.
COMMANDS: dict[str, Kind] = {"#note": "note", "#waiting": "waiting", "#resolve": "resolve"}
#: The statuses whose mail keeps its routes (a follow-up, thanks); a resolved incident's is an agent's last word.
DONE = ("closed",)


@dataclass(frozen=True)
class Written:
    """What an agent's mail asks for, with its text: a `reply` to the requester, a `note`, a reply that leaves the
    incident `waiting` on the requester, or to `resolve` it (the text its resolution, which may be empty)."""

    kind: Kind
    text: str


def written(newest: str) -> Written | None:
    """What the newest part of an agent's mail (its quoted history and signature cut, ingest/quotes.py) asks for: by
    its first word (`COMMANDS`, dropped), else a reply. None when no words are the agent's own (nothing, or only `>`
    quoted lines, which the cutter leaves when there is nothing above them; a resolution may be left unsaid, as on
    the page) or too many to write: such mail is added to the thread as before."""
    lines = newest.strip().splitlines()
    kind: Kind = "reply"
    if lines and (first := lines[0].split(maxsplit=1))[0].lower() in COMMANDS:
        kind, lines = COMMANDS[first[0].lower()], first[1:] + lines[1:]
    if all(line.lstrip().startswith(">") for line in lines if line.strip()):  # (also when there is no line at all)
        return Written(kind, "") if kind == "resolve" else None
    try:
        return Written(kind, checked_text("\n".join(lines), _WHAT[kind]))
    except TriageError:
        return None


#: What `checked_text` calls each kind's text.
_WHAT: dict[Kind, str] = {"reply": "reply", "note": "note", "waiting": "reply", "resolve": "resolution"}


def may_be_agents(event: InboundEvent, thread: Thread) -> bool:
    """Whether a mail on `thread` can be an agent's work, by all that needs no query: a verified From that is not
    the requester's, written by a person, on an incident neither closed nor merged."""
    sender = (event.requester or "").lower()
    return (
        event.sender_verified
        and not (event.auto_submitted or event.bounce or event.looped)
        and bool(sender)
        and sender != (thread.requester or "").lower()
        and thread.status not in DONE
        and thread.merged_into_id is None
    )


def works_incidents(conn: Connection, address: str) -> bool:
    """Whether `address` is an active user whose role works incidents; their row is held till the commit on
    PostgreSQL, so deactivating them meanwhile waits for this mail's writes, as it waits for the page's."""
    row = conn.execute(select(User.active, User.role).where(User.email == address).with_for_update(read=True)).first()
    return assignees.why_not((row.active, row.role) if row is not None else None) is None


def work(
    conn: Connection,
    raw: Raw,
    thread: Thread,
    event: InboundEvent,
    settings: NoticeSettings,
    limits: AttachmentLimits = DEFAULT_LIMITS,
) -> Outcome | None:
    """An agent's mail written as their reply, note or status line, the page's way, its raw message stored and
    linked from the action's timeline entry and its files listed (a reply's sent within `limits`, the
    installation's); None, having written nothing, when it is not an agent's work, for the intake to add it to the
    thread as before. A status line the page refuses, and a reply with no requester to go to, are added to the thread
    here, with a line saying why."""
    if not may_be_agents(event, thread):
        return None
    said = written(settings.newest_part(event.description) or event.description)
    sender = (event.requester or "").lower()
    if said is None or not works_incidents(conn, sender):
        return None
    incident = lock(conn, thread.id)
    if incident.status in DONE:
        return None  # closed meanwhile: the mail takes a closed incident's routes
    if said.kind in ("reply", "waiting") and (nobody := no_one_to_reply_to(incident)) is not None:
        # An alert's incident, or an erased requester's: the agent reads on the page why their answer went nowhere.
        line = f"{_ASKED[said.kind]} from {sender} by email not sent: {nobody}"
        return _only_added(conn, raw, thread, event, settings, line)
    try:
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            event_id, status = _act(session, raw, incident, event, said, Actor(sender), settings, limits)
            session.commit()
    except BadInput as refused:  # what the page answers with a message: nothing of the action is left
        line = f"{_ASKED[said.kind]} from {sender} by email not applied: {refused}"
        return _only_added(conn, raw, thread, event, settings, line)
    return Outcome(event_id, incident.id, status, thread.occurrences, files_listed=True)


def _only_added(
    conn: Connection, raw: Raw, thread: Thread, event: InboundEvent, settings: NoticeSettings, why: str
) -> Outcome:
    """An agent's mail that did nothing of what it asked, added to the thread as anyone's is, and the timeline line
    saying `why` (with no event: the mail's files show once, under the mail)."""
    kept = add_to_thread(conn, raw, thread, event, settings)
    INSERT_TIMELINE.execute(conn, entry(thread.id, "notification", why))
    return kept


#: How the timeline names what an agent's mail asked for.
_ASKED: dict[Kind, str] = {"reply": "A reply", **{kind: command for command, kind in COMMANDS.items()}}


def _act(
    session: Session,
    raw: Raw,
    incident: Locked,
    event: InboundEvent,
    said: Written,
    agent: Actor,
    settings: NoticeSettings,
    limits: AttachmentLimits,
) -> tuple[int, str]:
    """`work`'s writes, through the page's functions on the intake's connection: the mail stored and its files
    listed, then the action; the stored event's id and the incident's status after it."""
    conn, mail = session.connection(), mail_of(settings)
    event_id = store_event(conn, raw, event, incident_id=incident.id)
    files = listed(conn, event, event_id, incident.id)
    if said.kind == "note":
        write_note(conn, incident, said.text, agent, mail, emailed=event_id)
        return event_id, incident.status
    if said.kind == "resolve":
        return event_id, triage.status_change(session, incident.id, "resolve", agent, mail, resolution=said.text,
                                              emailed=event_id)  # fmt: skip
    chosen = choose(files, limits)
    requester = write_reply(conn, incident, said.text, agent, mail, emailed=event_id, listed=chosen.sent)
    if (line := not_sent_line(requester, chosen)) is not None:
        INSERT_TIMELINE.execute(conn, entry(incident.id, "notification", line))
    status = status_after_reply(incident.status)
    if said.kind == "waiting" and status != WAITING:  # (one already waiting on them stays so)
        status = triage.status_change(session, incident.id, "wait", agent, mail)
    return event_id, status


def mail_of(settings: NoticeSettings) -> Mail:
    """The intake's notice settings as the page's `Mail`: the reply goes from the desk's first address, as the
    page's does (`Mail.of`)."""
    return Mail(settings.desk_addresses[0], settings.base_url, settings.templates, settings.secret_key,
                settings.desk_addresses)  # fmt: skip
