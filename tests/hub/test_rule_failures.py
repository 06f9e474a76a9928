"""Each rule's template failures at run time, read back from the traces stored with the newest events."""

from __future__ import annotations

from types import MappingProxyType

from hub.domain import RuleSpec
from hub.rule_failures import RuleFailures, failures_in, notes_of

OWNER = RuleSpec(id=2, name="Owner", when={}, actions=MappingProxyType({"title": "{{ labels.owner.name }}"}))
FAILED = "template '{{ labels.owner.name }}' failed: 'dict object' has no attribute 'owner'"


def _trace(rule_id: int, *notes: str) -> dict[str, object]:
    return {"rules": [{"rule_id": rule_id, "rule": "Owner", "matched": True, "sets": {}, "notes": list(notes)}]}


def test_a_rules_failures_are_counted_with_the_newest_events_incident_and_note() -> None:
    rows = [(9, 4, _trace(2, FAILED)), (8, 3, _trace(2, FAILED, "group 'dba' has no members")),
            (7, 3, _trace(1, "group 'dba' has no members"))]  # fmt: skip
    assert failures_in(rows, {1: (), 2: notes_of(OWNER)}) == {2: RuleFailures(2, 9, 4, FAILED)}


def test_failures_of_a_template_the_rule_no_longer_has_or_of_a_rule_gone_are_not_counted() -> None:
    fixed = RuleSpec(id=2, name="Owner", when={}, actions=MappingProxyType({"title": "{{ labels.owner|default }}"}))
    assert failures_in([(9, 4, _trace(2, FAILED)), (8, 3, _trace(5, FAILED))], {2: notes_of(fixed)}) == {}
