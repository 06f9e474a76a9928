"""Each rule's template failures at run time, read back from the traces stored with the newest events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.rule_failures import RuleFailures, failures_in

SAVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FAILED = "template '{{ labels.owner.name }}' failed: 'dict object' has no attribute 'owner'"


def _trace(rule_id: int, *notes: str) -> dict[str, object]:
    return {"rules": [{"rule_id": rule_id, "rule": "Owner", "matched": True, "sets": {}, "notes": list(notes)}]}


def test_a_rules_failures_are_counted_with_the_newest_events_incident_and_note() -> None:
    rows = [(9, 4, SAVED + timedelta(minutes=2), _trace(2, FAILED)),
            (8, 3, SAVED + timedelta(minutes=1), _trace(2, FAILED, "group 'dba' has no members")),
            (7, 3, SAVED + timedelta(minutes=1), _trace(1, "group 'dba' has no members"))]  # fmt: skip
    assert failures_in(rows, {1: SAVED, 2: SAVED}) == {2: RuleFailures(2, 9, 4, FAILED)}


def test_failures_before_the_rule_last_changed_or_of_a_rule_gone_are_not_counted() -> None:
    rows = [(9, 4, SAVED - timedelta(seconds=1), _trace(2, FAILED)), (8, 3, SAVED, _trace(5, FAILED))]
    assert failures_in(rows, {2: SAVED}) == {}
