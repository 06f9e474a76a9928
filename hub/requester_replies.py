"""A requester's reply typed on their request's page (web/request_status.py), applied as their emailed reply is.

Replying to the desk's mail is how a requester adds something; the page showing the conversation is where many
look for a box to type in. What they send there goes through the intake's own path for a reply
(hub/intake.py::Intake.record_reply): stored as an event of source SOURCE, on the timeline as an `email` entry
from them (so their page shows it in the conversation, and the agent's page as any reply), the assignee and
watchers told, the SLA clocks started again when the desk was waiting for them, a resolved request reopened
within SWITCHBOARD_REPLY_REOPEN_WINDOW, and a reply that only thanks us for a resolved one kept as thanks. One
thing differs from mail: a reply after that window (or once closed) would start a new request, which mail may do
since a mail is a request anyway, but a box under the old request's conversation should not, so it is refused
(`TooLate`) in words that say how to ask again. Who may reply is whom the page's link names, and only while the
request is still theirs (read again inside the write: `StaleLink` otherwise).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from hub import agent_action
from hub.agent_files import Kept
from hub.domain import AttachmentInfo, InboundEvent, MailFacts, format_ref
from hub.errors import BadField, BadInput
from hub.intake_writes import Raw
from hub.mail_threads import Thread
from hub.signed_links import StaleLink

if TYPE_CHECKING:
    from hub.intake import Intake

#: The source of the events these replies are stored as: a person's own words, sent from the web.
SOURCE = "web-reply"
#: The longest reply: as long as an agent's.
MAX_TEXT = agent_action.MAX_TEXT
#: What the reply did (hub/mail_threads.py::reply_route): added to the conversation, reopened the request, thanks.
ROUTES = ("add", "reopen", "thanks")


#: The start of a stored reply (`send` writes `from` first): whose words it is, for their export and erasure.
_SENDER = re.compile(rb'\{"from": "([^"\\]+)"')


class TooLate(BadInput):
    """The request is closed, or was resolved too long ago to reopen: the message says how to ask again."""


def text_of(typed: str, *, files: int = 0) -> str:
    """The reply as typed, checked: something said (or `files` sent), and no longer than an agent's reply may be."""
    text = typed.replace("\r\n", "\n").strip()
    if not text and not files:
        raise BadField("text", "type your reply first")
    if len(text) > MAX_TEXT:
        raise BadField("text", f"your reply is {len(text):,} characters long; at most {MAX_TEXT:,} fit. Shorten it, "
                               "or reply to one of our emails instead")  # fmt: skip
    return text


def send(intake: Intake, person: str, incident_id: int, title: str, text: str, files: Sequence[Kept] = ()) -> str:
    """Apply `person`'s reply `text` to their request `incident_id` (titled `title`, as their page shows it), with
    `files` already in the attachment store (hub/agent_files.py::keep, within the limits an email's files are kept
    within), listed as an email's files are: against the reply's event; returns what it did (one of ROUTES).
    StaleLink when the request is no longer theirs (or was merged since), TooLate when a reply can no longer reopen
    it; nothing is written then (the stored files are left for no row, as an agent's are on a failed write)."""
    raw = Raw(source=SOURCE, content_type="application/json",
              body=json.dumps({"from": person, "incident": format_ref(incident_id), "text": text},
                              ensure_ascii=False).encode())  # fmt: skip
    attached = tuple(AttachmentInfo(kept.filename, kept.content_type, kept.size, kept.sha256) for kept in files)
    event = InboundEvent(source=SOURCE, title=title, description=text, requester=person,
                         labels=MappingProxyType({"channel": "web"}),
                         mail=MailFacts(attachments=attached) if attached else None)  # fmt: skip
    done: list[str] = []

    def check(thread: Thread | None, route: str) -> None:
        if thread is None or thread.merged_into_id is not None or (thread.requester or "").lower() != person:
            raise StaleLink("this link no longer applies: the request it was about has changed")
        if route not in ROUTES:
            raise TooLate(too_late(thread.id, thread.status))
        done.append(route)

    intake.record_reply(raw, event, incident_id, check)
    return done[-1]


def sender_in(head: bytes) -> str | None:
    """The address of the requester whose reply an event's raw body (or its start) is (hub/requester_data.py)."""
    found = _SENDER.match(head)
    return found.group(1).decode("utf-8", "replace") if found else None


def too_late(incident_id: int, status: str) -> str:
    """Why a reply cannot reopen the request, and what to do instead."""
    ref = format_ref(incident_id)
    why = "it is closed" if status == "closed" else "it was resolved too long ago to reopen"
    return (f"{why}. To tell us more, or for anything new, send us a new request and mention {ref} in it: whoever "
            "takes it can read this one")  # fmt: skip
