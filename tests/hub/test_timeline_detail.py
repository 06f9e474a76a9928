"""hub/timeline_detail.py: what the incident page shows under a timeline entry's line, and `incident show` prints."""

from __future__ import annotations

from typing import Any

from hub.attachments import IncidentFile
from hub.models import TimelineEntry
from hub.timeline_detail import AUTOMATIC, detail, in_text


def entry(kind: str, data: Any = None) -> TimelineEntry:
    return TimelineEntry(kind=kind, summary="", data=data)


def shown(kind: str, data: Any = None) -> list[str]:
    return in_text(detail(entry(kind, data)))


def test_a_resolution_shows_its_text() -> None:
    assert shown("resolved", {"resolution": "Replaced the toner\nand tested"}) == ["Replaced the toner", "and tested"]


def test_a_satisfaction_answer_shows_its_comment() -> None:
    assert shown("satisfaction", {"rating": "bad", "comment": "Took a week"}) == ["Took a week"]


def test_a_public_note_shows_its_text() -> None:
    assert shown("public_note", {"text": "Printing on floor 3 is slow"}) == ["Printing on floor 3 is slow"]


def test_a_retitle_shows_the_old_title_and_the_new() -> None:
    assert shown("retitled", {"from": "printer", "to": "Printer on floor 3 jams"}) == [
        "printer → Printer on floor 3 jams"
    ]


def test_an_unverified_senders_first_mail_warns_that_no_acknowledgement_went() -> None:
    check = {"verdict": "fail", "why": "DMARC fail", "domain": "example.org", "address": "dana@example.org"}
    [warning] = shown("opened", {"sender_check": check})
    assert warning == ("! Sender not verified: DMARC fail for example.org — the mail may not be from "
                       "dana@example.org. No acknowledgement was mailed to that address.")  # fmt: skip


def test_an_automatic_mail_says_so_above_its_text() -> None:
    assert shown("email", {"body": "I am away", "automatic": True}) == [AUTOMATIC + ":", "I am away"]


def test_an_emails_newest_part_is_cut_by_the_function_handed_in() -> None:
    message = detail(entry("email", {"body": "Works now\n> old"}), newest_part=lambda text: "Works now").message
    assert message is not None and (message.shown, message.body) == ("Works now", "Works now\n> old")


def test_an_emails_html_and_files_are_named() -> None:
    report = IncidentFile(1, "report.pdf", "application/pdf", 12_345, "ab", False, False, "over the limit", "email",
                          7, None)  # fmt: skip
    lines = in_text(detail(entry("email", {"html": "<p>Hi</p>"}), [report]))
    assert lines == ["(also formatted, as HTML: the incident page shows it)",
                     "file: report.pdf (application/pdf, 12.3 kB; over the limit)"]  # fmt: skip


def test_the_rules_applied_list_what_each_set_and_why() -> None:
    step = {"rule": "db", "matched": True, "sets": {"priority": 1, "Assignee": "dba"}, "conditions": ["host ~ db"]}
    assert shown("opened", {"rules": [step, {"rule": "web", "matched": False, "sets": {}}]}) == [
        "rules applied:", "  db: matched; Assignee = dba; priority = 1", "    because host ~ db", "  web: no match"
    ]  # fmt: skip


def test_a_long_text_is_cut_saying_how_many_lines_more_and_how_to_see_them() -> None:
    lines = in_text(detail(entry("note", {"body": "\n".join(map(str, range(30)))})), 20, "--full prints them")
    assert lines[-2:] == ["19", "… 10 more lines: --full prints them"]


def test_a_long_line_is_wrapped_at_spaces() -> None:
    lines = shown("note", {"body": "word " * 50})
    assert len(lines) == 3 and all(len(line) <= 100 for line in lines)
