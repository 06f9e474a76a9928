"""On-call rotations: who is on call when, pure (hub.rotation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hub.rotation import (
    Override,
    Rotation,
    answering,
    handoff_after,
    on_call,
    passed_over,
    scheduled,
    shifts,
    started,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = timedelta(weeks=1)


def weekly(*members: str, overrides: tuple[Override, ...] = ()) -> Rotation:
    """Handing over on Mondays at 09:00 Berlin time, from Monday 2026-11-02."""
    return Rotation(members, WEEK, datetime(2026, 11, 2, 9, 0), BERLIN, overrides)


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)  # type: ignore[misc]


def test_the_first_member_takes_the_first_shift() -> None:
    assert on_call(weekly("ann", "bob", "cy"), berlin(2026, 11, 2, 9, 0)) == "ann"


def test_members_take_turns_shift_by_shift() -> None:
    rotation = weekly("ann", "bob", "cy")
    assert [on_call(rotation, berlin(2026, 11, 2 + 7 * k, 12, 0)) for k in range(5)] == [
        "ann", "bob", "cy", "ann", "bob"
    ]  # fmt: skip


def test_the_shift_changes_exactly_at_the_handoff() -> None:
    rotation = weekly("ann", "bob")
    assert on_call(rotation, berlin(2026, 11, 9, 8, 59)) == "ann"
    assert on_call(rotation, berlin(2026, 11, 9, 9, 0)) == "bob"


def test_the_handoff_stays_at_local_time_across_a_daylight_saving_change() -> None:
    daily = Rotation(("ann", "bob"), timedelta(days=1), datetime(2026, 3, 27, 9, 0), BERLIN)
    # clocks go forward on 2026-03-29: the handoff is still at 09:00 local, 07:00 UTC instead of 08:00
    assert handoff_after(daily, berlin(2026, 3, 29, 0, 0)) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert on_call(daily, berlin(2026, 3, 29, 8, 59)) == "bob"
    assert on_call(daily, berlin(2026, 3, 29, 9, 0)) == "ann"


def test_before_the_first_handoff_the_rotation_runs_backwards() -> None:
    assert on_call(weekly("ann", "bob", "cy"), berlin(2026, 10, 30, 12, 0)) == "cy"


def test_an_override_wins_while_it_lasts() -> None:
    cover = Override(1, "dan", berlin(2026, 11, 4, 18, 0), berlin(2026, 11, 5, 8, 0))
    rotation = weekly("ann", "bob", overrides=(cover,))
    assert on_call(rotation, berlin(2026, 11, 4, 17, 59)) == "ann"
    assert on_call(rotation, berlin(2026, 11, 4, 18, 0)) == "dan"
    assert on_call(rotation, berlin(2026, 11, 5, 8, 0)) == "ann"
    assert scheduled(rotation, berlin(2026, 11, 4, 20, 0)) == "ann"


def test_of_overlapping_overrides_the_newest_wins() -> None:
    older = Override(1, "dan", berlin(2026, 11, 4, 0, 0), berlin(2026, 11, 6, 0, 0))
    newer = Override(2, "eve", berlin(2026, 11, 5, 0, 0), berlin(2026, 11, 5, 12, 0))
    rotation = weekly("ann", overrides=(newer, older))
    assert [on_call(rotation, berlin(2026, 11, 5, h, 0)) for h in (0, 11, 12)] == ["eve", "eve", "dan"]


def test_a_rotation_with_no_members_has_no_one_on_call() -> None:
    assert on_call(weekly(), berlin(2026, 11, 4, 12, 0)) is None


def test_shifts_lay_out_the_rota_with_overrides_spliced_in() -> None:
    cover = Override(7, "dan", berlin(2026, 11, 10, 0, 0), berlin(2026, 11, 11, 0, 0))
    laid = shifts(weekly("ann", "bob", overrides=(cover,)), berlin(2026, 11, 5, 0, 0), berlin(2026, 11, 20, 0, 0))
    assert [(s.who, s.starts.astimezone(BERLIN).strftime("%m-%d %H:%M"), s.override) for s in laid] == [
        ("ann", "11-05 00:00", None),
        ("bob", "11-09 09:00", None),
        ("dan", "11-10 00:00", 7),
        ("bob", "11-11 00:00", None),
        ("ann", "11-16 09:00", None),
    ]
    assert laid[-1].ends == berlin(2026, 11, 20, 0, 0)
    assert all(s.starts.tzinfo == UTC for s in laid)


def test_shifts_of_one_person_in_a_row_are_one_stretch() -> None:
    laid = shifts(weekly("ann"), berlin(2026, 11, 5, 0, 0), berlin(2026, 11, 30, 0, 0))
    assert [(s.who, s.starts, s.ends) for s in laid] == [("ann", berlin(2026, 11, 5, 0, 0), berlin(2026, 11, 30, 0, 0))]


def test_shifts_are_capped_at_the_longest_span() -> None:
    laid = shifts(weekly("ann", "bob"), berlin(2026, 11, 2, 9, 0), berlin(2028, 1, 1, 0, 0))
    assert laid[-1].ends == berlin(2026, 11, 2, 9, 0) + timedelta(days=92)


def test_a_handoff_in_the_hour_the_clocks_go_back_is_not_counted_twice() -> None:
    hourly = Rotation(("ann", "bob"), timedelta(hours=1), datetime(2026, 10, 24, 0, 30), BERLIN)
    start = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 01:00 CEST; clocks go back at 03:00 CEST
    laid = shifts(hourly, start, start + timedelta(hours=5))
    assert all(a.ends == b.starts for a, b in pairwise(laid))
    assert all(s.ends > s.starts for s in laid)
    assert laid[-1].ends == start + timedelta(hours=5)


def test_a_shift_just_handed_over_has_started() -> None:
    shift = started(weekly("ann", "bob"), berlin(2026, 11, 9, 9, 5), timedelta(minutes=15))
    assert shift is not None and (shift.who, shift.starts) == ("bob", berlin(2026, 11, 9, 9, 0))


def test_a_shift_handed_over_long_ago_has_not_just_started() -> None:
    assert started(weekly("ann", "bob"), berlin(2026, 11, 9, 9, 16), timedelta(minutes=15)) is None


def test_a_handover_to_the_same_person_starts_nothing() -> None:
    assert started(weekly("ann"), berlin(2026, 11, 9, 9, 5), timedelta(minutes=15)) is None


def test_an_override_starting_and_ending_starts_shifts() -> None:
    cover = Override(3, "dan", berlin(2026, 11, 4, 18, 0), berlin(2026, 11, 5, 8, 0))
    rotation = weekly("ann", "bob", overrides=(cover,))
    begun = started(rotation, berlin(2026, 11, 4, 18, 1), timedelta(minutes=15))
    back = started(rotation, berlin(2026, 11, 5, 8, 1), timedelta(minutes=15))
    assert begun is not None and (begun.who, begun.override) == ("dan", 3)
    assert back is not None and (back.who, back.override) == ("ann", None)


def test_a_page_reaches_who_is_on_call_when_they_can_answer() -> None:
    assert answering(weekly("ann", "bob", "cy"), berlin(2026, 11, 10, 12, 0), unable=set()) == "bob"


def test_a_page_goes_round_the_rota_past_those_who_cannot_answer() -> None:
    rotation = weekly("ann", "bob", "cy")  # bob's week
    assert answering(rotation, berlin(2026, 11, 10, 12, 0), unable={"bob"}) == "cy"
    assert answering(rotation, berlin(2026, 11, 10, 12, 0), unable={"bob", "cy"}) == "ann"
    assert answering(rotation, berlin(2026, 11, 10, 12, 0), unable={"ann", "bob", "cy"}) is None


def test_a_page_passes_over_a_cover_who_cannot_answer_to_an_older_cover_then_the_rotation() -> None:
    span = berlin(2026, 11, 10), berlin(2026, 11, 11)
    rotation = weekly("ann", "bob", overrides=(Override(1, "dan", *span), Override(2, "eve", *span)))
    noon = berlin(2026, 11, 10, 12, 0)
    assert answering(rotation, noon, unable={"eve"}) == "dan"
    assert answering(rotation, noon, unable={"eve", "dan"}) == "bob"


def test_a_page_passes_over_no_one_when_whoever_is_on_call_can_answer() -> None:
    assert passed_over(weekly("ann", "bob", "cy"), berlin(2026, 11, 10, 12, 0), unable={"ann"}) == []


def test_whom_a_page_passed_over_are_those_tried_before_it_reached_someone_in_order() -> None:
    rotation = weekly("ann", "bob", "cy")  # bob's week
    assert passed_over(rotation, berlin(2026, 11, 10, 12, 0), unable={"bob", "cy"}) == ["bob", "cy"]
    assert passed_over(rotation, berlin(2026, 11, 10, 12, 0), unable={"ann", "bob", "cy"}) == ["bob", "cy", "ann"]


def test_a_cover_who_is_also_a_member_is_tried_and_passed_over_once() -> None:
    span = berlin(2026, 11, 10), berlin(2026, 11, 11)
    rotation = weekly("ann", "bob", "cy", overrides=(Override(1, "cy", *span),))  # cy covers bob's day
    noon = berlin(2026, 11, 10, 12, 0)
    assert passed_over(rotation, noon, unable={"cy", "bob"}) == ["cy", "bob"]
    assert answering(rotation, noon, unable={"cy", "bob"}) == "ann"
