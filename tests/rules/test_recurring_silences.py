"""Recurring silences: a weekly maintenance window holds an event's notices only inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.domain import InboundEvent, Matcher, SilenceSpec
from hub.weekly import parse_window
from rules.silences import compile_silence, silenced_by

SUNDAY_3AM = datetime(2026, 11, 29, 3, tzinfo=UTC)
BACKUP = InboundEvent(source="generic", title="Backup job slow", labels={"job": "backup"})  # type: ignore[arg-type]


def weekly(window: str = "sun 02:00-04:00", **kw: object) -> SilenceSpec:
    return SilenceSpec(1, (Matcher("labels.job", "=", "backup"),), SUNDAY_3AM - timedelta(days=30),
                       SUNDAY_3AM + timedelta(days=300), "backups", parse_window(window, **kw))  # type: ignore[arg-type]  # fmt: skip


def test_inside_the_weekly_window_the_event_is_silenced() -> None:
    assert silenced_by(BACKUP, [compile_silence(weekly())], SUNDAY_3AM) == 1


def test_outside_the_weekly_window_it_is_not() -> None:
    assert silenced_by(BACKUP, [compile_silence(weekly())], SUNDAY_3AM + timedelta(hours=2)) is None
    assert silenced_by(BACKUP, [compile_silence(weekly())], SUNDAY_3AM + timedelta(days=1)) is None


def test_the_window_repeats_next_week_but_not_after_the_silence_ends() -> None:
    silence = [compile_silence(weekly())]
    assert silenced_by(BACKUP, silence, SUNDAY_3AM + timedelta(weeks=4)) == 1
    assert silenced_by(BACKUP, silence, SUNDAY_3AM + timedelta(weeks=50)) is None


def test_other_events_are_never_held_by_it() -> None:
    other = InboundEvent(source="generic", title="Disk full", labels={"job": "db"})  # type: ignore[arg-type]
    assert silenced_by(other, [compile_silence(weekly())], SUNDAY_3AM) is None
