"""The commands docs/notifications.md shows run as printed, in a shell, and leave what the page says they do."""

from __future__ import annotations

import re
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
    assert ("db-oncall: after 5 min: oncall:dba; after 15 min: group:dba; after 30 min: channel:ops-slack; "
            "then again 2 times") in out  # fmt: skip


def test_on_call_examples_rotate_the_group_and_cover_the_weekend(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    [commands, _members, _api] = fenced("docs/notifications.md", "On call: who gets paged", "sh")
    out = run_as_printed(commands, settings, tmp_path)
    assert "dba: ann@example.com, bob@example.com, cy@example.com" in out
    assert "added override 1 to dba's rotation" in out
    assert "Shifts of dba, times in Europe/Berlin:" in out
    weekend = [line.strip() for line in out.splitlines() if "(override 1)" in line]
    assert len(weekend) == 1 and re.fullmatch(
        r"Fri \S+ 18:00 \.\. Mon \S+ 09:00  dan@example.com  \(override 1\)", weekend[0]
    )


def test_group_member_examples_add_one_last_and_take_them_out_again(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    [commands, members, _api] = fenced("docs/notifications.md", "On call: who gets paged", "sh")
    out = run_as_printed(commands + members, settings, tmp_path).splitlines()
    assert out[-2:] == ["dba: ann@example.com, bob@example.com, cy@example.com, dan@example.com",
                        "dba: ann@example.com, bob@example.com, cy@example.com"]  # fmt: skip


def test_where_webhooks_may_go_example_refuses_the_metadata_address_and_keeps_loopback(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    [commands, _public] = fenced("docs/notifications.md", "Where webhooks may go", "sh")
    out = run_as_printed(commands, settings, tmp_path)
    assert out.splitlines()[0] == "refused" and "local-bot" in out
    with db.read() as session:
        assert set(session.scalars(select(Channel.name))) == {"local-bot"}


def test_where_webhooks_may_go_public_example_refuses_the_intranet_and_loopback(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    [_network, public] = fenced("docs/notifications.md", "Where webhooks may go", "sh")
    assert run_as_printed(public, settings, tmp_path).splitlines() == ["refused", "refused"]
    with db.read() as session:
        assert list(session.scalars(select(Channel.name))) == []
