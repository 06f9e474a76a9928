"""Heartbeats stored (SQLite and PostgreSQL): made from what people type, late when a ping does not come."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from hub import accounts, heartbeats
from hub.db import Database
from hub.domain import Action
from hub.errors import BadInput, Missing
from hub.models import Integration

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def watchdog(database: Database, every: str = "5m") -> heartbeats.Beat:
    with database.transaction() as s:
        accounts.create_integration(s, name="prometheus", kind="alertmanager")
        return heartbeats.add(s, "prometheus", "watchdog", every)


def test_a_new_heartbeat_is_due_one_interval_after_it_was_made(database: Database) -> None:
    beat = watchdog(database)
    assert (beat.kind, beat.interval, beat.missed_at) == ("alertmanager", timedelta(minutes=5), None)
    assert beat.due_at == beat.last_ping_at + timedelta(minutes=5)


@pytest.mark.parametrize(("every", "message"), [("30s", "not a duration"), ("0m", "1 min to 31 d"),
                                                ("5w", "1 min to 31 d")])  # fmt: skip
def test_an_interval_out_of_range_is_refused(database: Database, every: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        watchdog(database, every)


def test_a_heartbeat_of_a_missing_integration_is_refused(database: Database) -> None:
    with database.transaction() as s, pytest.raises(Missing, match="no integration 'nope'"):
        heartbeats.add(s, "nope", "watchdog", "5m")


def test_a_second_heartbeat_of_the_same_name_is_refused(database: Database) -> None:
    watchdog(database)
    with database.transaction() as s, pytest.raises(BadInput, match="has a heartbeat 'watchdog' already"):
        heartbeats.add(s, "prometheus", "watchdog", "10m")


def test_a_heartbeat_is_late_once_its_due_time_passed_and_until_raised() -> None:
    beat = heartbeats.Beat(1, "prometheus", "alertmanager", 1, "watchdog", timedelta(minutes=5), NOW, None)
    assert not heartbeats.is_late(beat, NOW + timedelta(minutes=5))
    assert heartbeats.is_late(beat, NOW + timedelta(minutes=5, seconds=1))
    raised = heartbeats.Beat(1, "prometheus", "alertmanager", 1, "watchdog", timedelta(minutes=5), NOW, NOW)
    assert not heartbeats.is_late(raised, NOW + timedelta(minutes=59))


def test_a_heartbeat_still_silent_is_raised_again_after_an_hour_or_its_interval_if_longer() -> None:
    raised = heartbeats.Beat(1, "prometheus", "alertmanager", 1, "watchdog", timedelta(minutes=5), NOW, NOW)
    assert heartbeats.is_late(raised, NOW + timedelta(hours=1))
    daily = heartbeats.Beat(1, "cron", "generic", 1, "backup", timedelta(days=1), NOW, NOW)
    assert not heartbeats.is_late(daily, NOW + timedelta(hours=23))
    assert heartbeats.is_late(daily, NOW + timedelta(days=1))


def test_a_missed_heartbeat_is_a_critical_alert_keyed_by_its_name() -> None:
    beat = heartbeats.Beat(1, "prometheus", "alertmanager", 1, "watchdog", timedelta(minutes=5), NOW, None)
    event = heartbeats.missed_event(beat, NOW + timedelta(minutes=7, seconds=30))
    assert event.title == "Heartbeat watchdog from prometheus missed: no ping for 7 min"
    assert (event.severity, event.dedup_key, event.action) == ("critical", "heartbeat:watchdog", Action.TRIGGER)
    assert dict(event.labels) == {"heartbeat": "watchdog", "integration": "prometheus"}
    assert "promised a ping every 5 min; the last came at 2026-11-26 12:00 UTC" in event.description
    assert heartbeats.back_event(beat).action == Action.RESOLVE


def test_a_ping_clears_the_miss_and_sets_the_next_due_time(database: Database) -> None:
    beat = watchdog(database)
    with database.transaction() as s:
        assert heartbeats.mark_missed(s, beat, NOW)
    with database.transaction() as s:
        pinged = heartbeats.ping(s, heartbeats.find(s, "prometheus", "watchdog"), NOW + timedelta(minutes=1))
    with database.read() as s:
        assert heartbeats.find(s, "prometheus", "watchdog") == pinged
    assert pinged.missed_at is None and pinged.due_at == NOW + timedelta(minutes=6)


def test_marking_a_miss_fails_when_a_ping_came_meanwhile(database: Database) -> None:
    beat = watchdog(database)
    with database.transaction() as s:
        heartbeats.ping(s, beat, NOW)
    with database.transaction() as s:
        assert not heartbeats.mark_missed(s, beat, NOW)


def test_late_lists_only_heartbeats_past_due_and_not_raised_lately(database: Database) -> None:
    beat = watchdog(database)
    with database.read() as s:
        assert heartbeats.late(s, beat.due_at) == []
        assert [b.name for b in heartbeats.late(s, beat.due_at + timedelta(seconds=1))] == ["watchdog"]
    with database.transaction() as s:
        heartbeats.mark_missed(s, beat, beat.due_at)
    with database.read() as s:
        assert heartbeats.late(s, beat.due_at + timedelta(minutes=59)) == []


def test_removing_the_integration_removes_its_heartbeats(database: Database) -> None:
    watchdog(database)
    with database.transaction() as s:
        s.execute(delete(Integration).where(Integration.name == "prometheus"))
    with database.read() as s:
        assert heartbeats.listing(s) == []
