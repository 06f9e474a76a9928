"""What an incident's timeline entry says, in plain words: the one wording of its line for the incident's page, its
review's (both `incidents/_timeline.html`) and `switchboard incident show`, so that what a terminal prints cannot
drift from what the page shows.

The stored summary stays as it was written (a record: the API, the exports and the requester's data keep it);
these words are made as it is shown. A mail's entry is stored under the outbox's kind ("approval_asked to
ann@example.com queued"), which names a template, not what was sent: it is said as what the mail is ("Approval
request to ann@example.com queued"). Colleagues' addresses stay in the line, for `hub.people.with_names` to name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

#: What each outbox kind (hub/notices.py; a channel's are hub/channels.py's `incident_facts` kinds) sends.
NOTICE_WORDS = {
    "acknowledgement": "Acknowledgement",
    "assigned": "Assignment mail",
    "on_call": "On-call shift mail",
    "escalated": "Escalation",
    "opened": "New-incident notice",
    "major_declared": "Major-incident page",
    "major_stood_down": "Stand-down mail",
    "review_published": "Published review",
    "resolved": "Resolution mail",
    "reopened": "Reopening mail",
    "stable": "Settled-alert mail",
    "merged": "Merge mail",
    "requester_replied": "Requester's reply",
    "reply": "Reply",
    "mentioned": "Mention",
    "step": "Step's turn mail",
    "sla_warning": "SLA warning",
    "sla_breach": "SLA breach alert",
    "approval_asked": "Approval request",
    "approval_decided": "Approval decision",
    "approval_withdrawn": "Approval withdrawal",
    "approval_reminder": "Approval reminder",
    "approved": "Approval mail",
}
#: A mail's entry as the outbox, the worker and the mail choices write it: "<kind> to <recipient> <what became of it>".
_MAIL_LINE = re.compile(r"(?P<kind>[a-z][a-z0-9_]*) to (?P<rest>.+)", re.DOTALL)


class Entry(Protocol):
    """A timeline entry as both readers hold it (`hub.models.TimelineEntry`)."""

    @property
    def kind(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def data(self) -> Any: ...


@dataclass(frozen=True)
class Said:
    """An entry's line, and who did it when the line does not name them and they have a name to be shown by (an
    address alone would only repeat what the entry's own words carry)."""

    line: str
    by: str | None = None


def said(entry: Entry, names: Mapping[str, str]) -> Said:
    """`entry` in plain words; `names` maps lower-cased addresses to display names (`hub.people.names_of`)."""
    line = _mail_line(entry.summary) if entry.kind == "notification" else entry.summary
    data = entry.data if isinstance(entry.data, dict) else {}
    by = data.get("by")
    shown = isinstance(by, str) and by.lower() in names and by.lower() not in line.lower()
    return Said(line, by if shown else None)


def _mail_line(summary: str) -> str:
    """A mail's entry said as what was sent; any other notification line ("channel 'ops' does not exist ...") as
    written. A kind not listed (a channel's own) is said in words too, only its underscores dropped."""
    match = _MAIL_LINE.fullmatch(summary)
    if match is None:
        return summary
    kind = match["kind"]
    words = NOTICE_WORDS.get(kind) or (kind.replace("_", " ").capitalize() if "_" in kind else None)
    return f"{words} to {match['rest']}" if words else summary
