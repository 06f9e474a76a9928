"""What an agent's answer by mail asks for (hub/agent_mail.py `written`, pure), as docs/notifications.md shows it."""

from __future__ import annotations

import pytest

from hub.agent_mail import Written, written
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
