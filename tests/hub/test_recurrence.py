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
