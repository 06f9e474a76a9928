"""What an agent's answer by mail asks for (hub/agent_mail.py `written`, pure), as docs/notifications.md shows it."""

from __future__ import annotations

import pytest

from hub.agent_files import MOST_FILES, Listed
from hub.agent_mail import Written, written
from hub.agent_mail_files import choose
from hub.attachments import DEFAULT_LIMITS
from hub.domain import AttachmentInfo
from tests.docs import fenced

HEADING = "Answering from your mailbox"


def test_the_documented_example_prints_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    [example] = fenced("docs/notifications.md", HEADING, "python")
    printed = fenced("docs/notifications.md", HEADING, "text")[-1]
    exec(compile(example, "docs/notifications.md", "exec"), {})
    assert capsys.readouterr().out == printed


def test_the_documented_note_is_a_note_without_its_marker() -> None:
    marked = fenced("docs/notifications.md", HEADING, "text")[0]
    assert written(marked) == Written("note", "The vendor says Tuesday. @carol, can you chase them?")


def test_a_marker_with_nothing_under_it_writes_nothing() -> None:
    assert written("#NOTE\n\n") is None


def test_an_unknown_first_word_starting_with_a_hash_is_text_of_the_reply() -> None:
    assert written("#urgent: the tray is jammed") == Written("reply", "#urgent: the tray is jammed")


def test_files_past_what_a_reply_carries_stay_behind_named() -> None:
    files = [(i, AttachmentInfo(f"{i}.pdf", "application/pdf", 10, f"{i:064x}")) for i in range(MOST_FILES + 1)]
    chosen = choose(files, DEFAULT_LIMITS)
    assert chosen.sent == tuple(Listed(i, f"{i}.pdf") for i in range(MOST_FILES))
    assert chosen.not_sent == (f"{MOST_FILES}.pdf (a reply carries at most {MOST_FILES} files)",)
