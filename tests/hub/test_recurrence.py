"""The recurrence detector: which incidents together suggest a problem (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.recurrence import Occurrence, group_key, suggest

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def alert(n: int, days_ago: float, key: str | None = "disk-db1", **kw: object) -> Occurrence:
    return Occurrence(n, f"Disk full #{n}", NOW - timedelta(days=days_ago), key, 7, **kw)  # type: ignore[arg-type]


def test_three_incidents_with_one_dedup_key_within_a_week_are_suggested() -> None:
    [found] = suggest([alert(1, 6), alert(2, 3), alert(3, 0.5)], NOW)
    assert found.kind == "dedup_key" and found.key == "key:7:disk-db1"
    assert found.incident_ids == (3, 2, 1) and found.title == "Disk full #3"


def test_two_are_not_enough_by_default() -> None:
    assert suggest([alert(1, 2), alert(2, 1)], NOW) == []


def test_incidents_older_than_the_window_do_not_count() -> None:
    assert suggest([alert(1, 8), alert(2, 3), alert(3, 1)], NOW) == []


def test_the_threshold_and_window_can_be_changed() -> None:
    occurrences = [alert(1, 20), alert(2, 1)]
    assert [s.count for s in suggest(occurrences, NOW, threshold=2, window=timedelta(days=30))] == [2]


def test_the_same_key_from_another_integration_is_another_recurrence() -> None:
    other = [Occurrence(n, "Disk", NOW - timedelta(hours=n), "disk-db1", 8) for n in (4, 5)]
    assert suggest([alert(1, 1), alert(2, 1), *other], NOW) == []


def test_service_and_category_group_incidents_without_a_dedup_key() -> None:
    mails = [alert(n, n, key=None, service="vpn", category="network") for n in (1, 2, 3)]
    [found] = suggest(mails, NOW)
    assert found.kind == "service" and (found.service, found.category) == ("vpn", "network")


def test_incidents_without_a_key_or_service_never_group() -> None:
    assert group_key(alert(1, 1, key=None, service="vpn")) is None
    assert suggest([alert(n, 1, key=None) for n in range(5)], NOW) == []


def test_a_recurrence_a_problem_already_covers_is_not_suggested() -> None:
    linked = Occurrence(9, "Disk", NOW - timedelta(days=1), "disk-db1", 7, problem_id=1)
    assert suggest([alert(1, 2), alert(2, 2), alert(3, 1), linked], NOW) == []


def test_the_largest_recurrence_comes_first() -> None:
    small = [alert(n, 1, key="cpu") for n in (1, 2, 3)]
    large = [alert(n, 1, key="disk") for n in (4, 5, 6, 7)]
    assert [s.count for s in suggest(small + large, NOW)] == [4, 3]


def weekly(first: int, weeks: int, key: str = "backup", **kw: object) -> list[Occurrence]:
    """The nightly-Monday backup failing once a week, the newest on Monday 23 November 2026 at 02:00."""
    monday = datetime(2026, 11, 23, 2, tzinfo=UTC)
    return [Occurrence(first + n, "Backup failed", monday - timedelta(weeks=n), key, 7, **kw)  # type: ignore[arg-type]
            for n in range(weeks)]  # fmt: skip


def test_a_weekly_recurrence_too_slow_for_the_window_is_suggested_as_periodic() -> None:
    [found] = suggest(weekly(1, 4), NOW)
    assert (found.pattern, found.period, found.key) == ("periodic", timedelta(weeks=1), "key:7:backup")
    assert found.incident_ids == (1, 2, 3, 4) and found.seen[0] == datetime(2026, 11, 23, 2, tzinfo=UTC)


def test_a_recurrence_both_frequent_and_steady_is_suggested_once_as_a_burst() -> None:
    daily = [alert(n, n - 0.5) for n in range(1, 30)]
    [found] = suggest(daily, NOW)
    assert found.pattern == "burst" and found.period is None and found.count == 7


def test_a_schedule_a_problem_covers_is_not_suggested() -> None:
    covered = weekly(1, 4)
    covered[3] = Occurrence(4, "Backup failed", covered[3].first_seen, "backup", 7, problem_id=1)
    assert suggest(covered, NOW) == []


def test_irregular_recurrences_are_not_called_periodic() -> None:
    assert suggest([alert(n, days) for n, days in enumerate((10, 12, 30, 33, 60), 1)], NOW) == []


def test_a_schedule_that_has_stopped_is_not_suggested() -> None:
    assert suggest(weekly(1, 4), NOW + timedelta(weeks=2)) == []


def test_occurrences_older_than_the_lookback_do_not_count() -> None:
    assert suggest(weekly(1, 4), NOW, lookback=timedelta(days=15)) == []
    assert [s.count for s in suggest(weekly(1, 4), NOW, lookback=timedelta(days=30))] == [4]


def test_a_periodic_recurrence_needs_the_threshold_too() -> None:
    assert suggest(weekly(1, 4), NOW, threshold=5) == []


def test_bursts_come_before_larger_periodic_recurrences() -> None:
    found = suggest([*weekly(10, 8), alert(1, 2), alert(2, 1), alert(3, 0.5)], NOW)
    assert [(s.pattern, s.count) for s in found] == [("burst", 3), ("periodic", 8)]


def test_without_a_longer_lookback_bursts_are_still_suggested() -> None:
    [found] = suggest([alert(1, 6), alert(2, 3), alert(3, 0.5)], NOW, lookback=timedelta(0))
    assert found.pattern == "burst"
