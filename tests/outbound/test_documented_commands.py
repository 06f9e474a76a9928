"""The commands docs/notifications.md shows run as printed, in a shell, and leave what the page says they do."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from hub.config import Settings
from hub.db import Database
from hub.models import Channel
from tests.docs import fenced, run_as_printed


def test_channel_and_escalation_examples_make_what_they_say(settings: Settings, db: Database, tmp_path: Path) -> None:
    [channels] = fenced("docs/notifications.md", "Channels", "sh")
    [policy] = fenced("docs/notifications.md", "Escalation: when nobody acknowledges", "sh")
    out = run_as_printed(channels + policy, settings, tmp_path)

    with db.read() as session:
        made = {c.name: c.kind for c in session.scalars(select(Channel))}
    assert made == {"dba-team": "email", "ops-bot": "webhook", "ops-slack": "slack", "ops-mm": "mattermost",
                    "ops-teams": "teams"}  # chatops was removed again  # fmt: skip
    assert ("db-oncall: after 5 min: oncall@example.com; after 15 min: group:dba; after 30 min: channel:ops-slack; "
            "then again 2 times") in out  # fmt: skip
