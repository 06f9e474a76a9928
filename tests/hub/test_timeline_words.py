"""hub/timeline_words.py: an entry's line as the incident page and `switchboard incident show` both say it."""

from __future__ import annotations

from typing import Any

from hub.models import TimelineEntry
from hub.timeline_words import Said, said

NAMES = {"ann@example.com": "Ann Lee"}


def entry(kind: str, summary: str, data: Any = None) -> TimelineEntry:
    return TimelineEntry(kind=kind, summary=summary, data=data)


def test_a_mails_entry_is_said_as_what_was_sent_not_by_its_outbox_kind() -> None:
    line = said(entry("notification", "approval_asked to ann@example.com queued"), NAMES).line
    assert line == "Approval request to ann@example.com queued"


def test_a_notification_naming_no_mail_is_said_as_written() -> None:
    written = "channel 'ops' does not exist or is disabled; nothing sent to it"
    assert said(entry("notification", written), NAMES).line == written


def test_who_did_it_is_added_only_when_named_and_not_in_the_line_already() -> None:
    by_ann = {"by": "ann@example.com"}
    assert said(entry("resolved", "Resolved", by_ann), NAMES) == Said("Resolved", "ann@example.com")
    assert said(entry("assigned", "Assigned to bob@example.com by ann@example.com", by_ann), NAMES).by is None
    assert said(entry("resolved", "Resolved", {"by": "cy@example.com"}), NAMES).by is None  # no name to show
