"""An agent works an incident from their mailbox: their answer to its mail becomes, as them, the reply to the
requester the incident page sends (or, with `#note` as its first line, an internal note), where other people's mail
is only added to the timeline.

An email's From is anyone's to write, so this authority is granted only when the organisation's receiving mail
server verified the From (`InboundEvent.sender_verified`: SenderCheck `pass`, which nothing gives until
SWITCHBOARD_MAIL_AUTHSERV_ID names that server), to an active user whose role works incidents (hub/assignees.py
`why_not`, the rule `--as` follows), on an incident still being worked (a resolved, closed or merged one keeps its
routes: hub/mail_threads.py), and never for automatic mail (out-of-office, bounce, loop) nor from the incident's own
requester (then they are asking, not answering). Anything else, and a mail with no words of its own (only quoted
history), is added to the thread as before.

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

from hub import assignees
from hub.agent_action import Actor, Mail, TriageError, checked_text, lock
from hub.domain import InboundEvent
from hub.incident_notes import no_one_to_reply_to, status_after_reply, write_note, write_reply
from hub.intake_notices import NoticeSettings
from hub.intake_writes import Outcome, Raw, store_event
from hub.mail_threads import Thread
from hub.models import User

#: The first line that makes an agent's mail an internal note instead of a reply to the requester.
NOTE = "#note"
#: The statuses of an incident no longer being worked: mail to them keeps its routes (reopen, follow-up, thanks).
DONE = ("resolved", "closed")


@dataclass(frozen=True)
class Written:
    """What an agent's mail asks for: a `reply` to the requester or a `note`, with its text."""

    kind: Literal["reply", "note"]
    text: str


def written(newest: str) -> Written | None:
    """What the newest part of an agent's mail (its quoted history and signature cut, ingest/quotes.py) asks for: a
    note when its first line is `#note` (that line dropped), else a reply. None when no words are the agent's own
    (nothing, or only `>` quoted lines, which the cutter leaves when there is nothing above them) or too many to
    write: such mail is added to the thread as before."""
    lines = newest.strip().splitlines()
    kind: Literal["reply", "note"] = "reply"
    if lines and lines[0].strip().lower() == NOTE:
        kind, lines = "note", lines[1:]
    if all(line.lstrip().startswith(">") for line in lines if line.strip()):
        return None  # (also when there is no line at all)
    try:
        return Written(kind, checked_text("\n".join(lines), kind))
    except TriageError:
        return None


def may_be_agents(event: InboundEvent, thread: Thread) -> bool:
    """Whether a mail on `thread` can be an agent's work, by all that needs no query: a verified From that is not
    the requester's, written by a person, on an incident being worked."""
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


def work(conn: Connection, raw: Raw, thread: Thread, event: InboundEvent, settings: NoticeSettings) -> Outcome | None:
    """An agent's mail written as their reply or note, the page's way (hub/incident_notes.py), its raw message
    stored and linked from that one timeline entry; None, having written nothing, when it is not an agent's work,
    for the intake to add it to the thread as before."""
    if not may_be_agents(event, thread):
        return None
    said = written(settings.newest_part(event.description) or event.description)
    sender = (event.requester or "").lower()
    if said is None or not works_incidents(conn, sender):
        return None
    incident = lock(conn, thread.id)
    if incident.status in DONE or (said.kind == "reply" and no_one_to_reply_to(incident) is not None):
        return None  # resolved meanwhile, or a reply with no one to go to: the mail is kept on the thread instead
    event_id = store_event(conn, raw, event, incident_id=incident.id)
    agent, mail = Actor(sender), mail_of(settings)
    if said.kind == "note":
        write_note(conn, incident, said.text, agent, mail, emailed=event_id)
        return Outcome(event_id, incident.id, incident.status, thread.occurrences)
    write_reply(conn, incident, said.text, agent, mail, emailed=event_id)
    return Outcome(event_id, incident.id, status_after_reply(incident.status), thread.occurrences)


def mail_of(settings: NoticeSettings) -> Mail:
    """The intake's notice settings as the page's `Mail`: the reply goes from the desk's first address, as the
    page's does (`Mail.of`)."""
    return Mail(settings.desk_addresses[0], settings.base_url, settings.templates, settings.secret_key,
                settings.desk_addresses)  # fmt: skip
