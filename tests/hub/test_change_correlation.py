"""Ranking the changes before an incident: same service first, newest first, the likely culprit marked (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.change_correlation import Candidate, rank

SEEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def change(ref: str, service: str | None, hours_before: float) -> Candidate:
    return Candidate(ref, f"Deploy {service}", service, "1.0", SEEN - timedelta(hours=hours_before))


def refs(ranked: list) -> list[str]:  # type: ignore[type-arg]
    return [r.change.ref for r in ranked]


def test_same_service_changes_come_first_then_the_rest_each_newest_first() -> None:
    ranked = rank([change("CHG-1", "mail", 5), change("CHG-2", "db", 1), change("CHG-3", "mail", 2),
                   change("CHG-4", None, 3)], service="mail", first_seen=SEEN)  # fmt: skip
    assert refs(ranked) == ["CHG-3", "CHG-1", "CHG-2", "CHG-4"]
    assert [r.same_service for r in ranked] == [True, True, False, False]


def test_the_newest_change_on_the_same_service_is_the_likely_culprit() -> None:
    ranked = rank([change("CHG-1", "mail", 5), change("CHG-2", "db", 0.1), change("CHG-3", "mail", 2)],
                  service="mail", first_seen=SEEN)  # fmt: skip
    assert [r.change.ref for r in ranked if r.likely_culprit] == ["CHG-3"]


def test_without_a_service_there_is_no_culprit_only_related_changes() -> None:
    ranked = rank([change("CHG-1", "mail", 1)], service=None, first_seen=SEEN)
    assert refs(ranked) == ["CHG-1"] and not ranked[0].likely_culprit


def test_changes_outside_the_window_or_after_the_incident_are_left_out() -> None:
    ranked = rank([change("CHG-1", "mail", 25), change("CHG-2", "mail", -0.5), change("CHG-3", "mail", 23.9)],
                  service="mail", first_seen=SEEN)  # fmt: skip
    assert refs(ranked) == ["CHG-3"]


def test_the_window_is_configurable() -> None:
    candidates = [change("CHG-1", "mail", 30)]
    assert rank(candidates, service="mail", first_seen=SEEN) == []
    assert refs(rank(candidates, service="mail", first_seen=SEEN, window=timedelta(hours=48))) == ["CHG-1"]


def test_the_json_names_what_an_incident_responder_needs() -> None:
    [related] = rank([change("CHG-7", "mail", 1)], service="mail", first_seen=SEEN)
    assert related.as_json() == {
        "ref": "CHG-7", "title": "Deploy mail", "service": "mail", "version": "1.0", "state": "implemented",
        "implemented_at": "2026-03-01T11:00:00+00:00", "link": None, "same_service": True, "likely_culprit": True,
    }  # fmt: skip
