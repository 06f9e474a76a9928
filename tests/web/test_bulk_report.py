"""The one message a bulk action flashes: what changed, what did not and why, each incident named once."""

from __future__ import annotations

from web.bulk_report import NAMED, BulkReport


def test_all_changed_counts_and_names_them() -> None:
    report = BulkReport("resolve", done=["INC-1", "INC-2"])
    assert report.all_done and report.message() == "Resolved 2: INC-1, INC-2."


def test_a_refusal_that_names_its_incident_is_said_after_what_changed() -> None:
    report = BulkReport("resolve", done=["INC-2"])
    report.refuse("INC-1", "INC-1 is closed; only open or acknowledged incidents can be resolved")
    assert not report.all_done
    assert report.message() == (
        "Resolved 1: INC-2; INC-1 is closed; only open or acknowledged incidents can be resolved."
    )


def test_incidents_refused_for_the_same_reason_share_one_sentence() -> None:
    report = BulkReport("assign")
    for ref in ("INC-1", "INC-2"):
        report.refuse(ref, "nobody@example.com is not an active user")
    assert report.message() == "Nothing was assigned; INC-1, INC-2: nobody@example.com is not an active user."


def test_those_left_when_the_person_lost_the_right_partway_are_named_with_why() -> None:
    report = BulkReport("close", done=["INC-1"], stopped=["INC-2", "INC-3"], stopped_why="your account was deactivated")
    assert report.message() == "Closed 1: INC-1; INC-2, INC-3 not changed: your account was deactivated."


def test_a_long_list_names_the_first_and_counts_the_rest() -> None:
    refs = [f"INC-{n}" for n in range(NAMED + 5)]
    assert BulkReport("acknowledge", done=refs).message().endswith("INC-19 and 5 more.")
