"""The SLA clock rules on their own: which policy fits, what state a clock is in, what the sweep announces."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hub.business_hours import Calendar, parse_hours
from hub.sla_clocks import (
    Clocks,
    Facts,
    PolicySpec,
    crossings,
    format_span,
    next_check,
    pick_policy,
    resumed,
    start_clocks,
    state_at,
    update_given,
    updates_at_resolution,
    views,
)

T0 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
P1 = PolicySpec(id=1, name="P1", priority=1, first_response=timedelta(minutes=30), resolution=4 * H)
P1_MAIL = PolicySpec(id=2, name="P1 mail", priority=1, service="mail", resolution=2 * H)
P1_MAIL_OUTAGE = PolicySpec(id=3, name="P1 mail outage", priority=1, service="mail", category="outage",
                            resolution=1 * H)  # fmt: skip
P2 = PolicySpec(id=4, name="P2", priority=2, resolution=8 * H)
ALL = (P1, P1_MAIL, P1_MAIL_OUTAGE, P2)


def test_a_policy_fits_only_its_priority() -> None:
    assert pick_policy(ALL, Facts(priority=2, service="mail")) == P2
    assert pick_policy(ALL, Facts(priority=3)) is None


def test_the_policy_narrowed_by_more_fields_wins() -> None:
    assert pick_policy(ALL, Facts(priority=1, service="mail", category="outage")) == P1_MAIL_OUTAGE
    assert pick_policy(ALL, Facts(priority=1, service="mail", category="question")) == P1_MAIL
    assert pick_policy(ALL, Facts(priority=1, service="web")) == P1


def test_a_narrowed_policy_never_fits_an_incident_without_that_field() -> None:
    assert pick_policy((P1_MAIL,), Facts(priority=1)) is None


def test_a_policy_for_one_kind_fits_only_that_kind_and_beats_one_for_both() -> None:
    requests = PolicySpec(id=5, name="P1 requests", priority=1, kind="request", resolution=40 * H)
    assert pick_policy((P1, requests), Facts(priority=1, kind="request")) == requests
    assert pick_policy((P1, requests), Facts(priority=1, kind="incident")) == P1
    assert pick_policy((requests,), Facts(priority=1, kind="incident")) is None


def test_between_equally_specific_policies_the_oldest_wins() -> None:
    newer = replace(P1, id=9, name="newer")
    assert pick_policy((newer, P1), Facts(priority=1)) == P1


def test_warnings_fall_at_the_policy_share_of_each_target() -> None:
    clocks = start_clocks(P1, T0)
    assert (clocks.response_warn_at, clocks.response_due_at) == (T0 + timedelta(minutes=22.5), T0 + 0.5 * H)
    assert (clocks.warn_at, clocks.due_at) == (T0 + 3 * H, T0 + 4 * H)


def test_targets_run_in_business_time_of_the_policy_calendar() -> None:
    office = Calendar(tz="UTC", weekly=parse_hours("mon-fri 09:00-17:00"))
    friday_4pm = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)
    assert start_clocks(replace(P2, calendar=office), friday_4pm).due_at == datetime(2026, 3, 16, 16, 0, tzinfo=UTC)


def test_state_goes_from_ok_to_warning_to_breached() -> None:
    clocks = Clocks(warn_at=T0 + 3 * H, due_at=T0 + 4 * H)
    assert [state_at(clocks, T0 + h * H) for h in (1, 3, 5)] == ["ok", "warning", "breached"]


def test_resolving_in_time_is_met_and_late_is_breached() -> None:
    clocks = Clocks(warn_at=T0 + 3 * H, due_at=T0 + 4 * H)
    assert state_at(replace(clocks, resolved_at=T0 + 3.5 * H), T0 + 9 * H) == "met"
    assert state_at(replace(clocks, resolved_at=T0 + 4.5 * H), T0 + 9 * H) == "breached"


def test_a_late_first_response_is_a_breach_even_when_resolved_in_time() -> None:
    clocks = start_clocks(P1, T0)
    late = replace(clocks, responded_at=T0 + 1 * H, resolved_at=T0 + 2 * H)
    assert state_at(late, T0 + 9 * H) == "breached"


def test_a_paused_clock_reads_paused_and_cannot_breach_while_paused() -> None:
    clocks = Clocks(warn_at=T0 + 3 * H, due_at=T0 + 4 * H, paused_at=T0 + 1 * H)
    assert state_at(clocks, T0 + 10 * H) == "paused"
    assert next_check(clocks, None) is None


def test_resuming_moves_what_is_ahead_by_the_pause() -> None:
    clocks = Clocks(warn_at=T0 + 3 * H, due_at=T0 + 4 * H, paused_at=T0 + 1 * H)
    again = resumed(clocks, Calendar(), T0 + 3 * H)
    assert (again.warn_at, again.due_at, again.paused_at) == (T0 + 5 * H, T0 + 6 * H, None)


def test_a_plan_from_the_opening_stands_still_through_past_waits_as_resuming_did() -> None:
    waits = [(T0 + 1 * H, T0 + 2 * H), (T0 + 3 * H, T0 + 4 * H)]  # both after the first response was due
    again = start_clocks(P1, T0, waits)
    assert (again.response_due_at, again.warn_at, again.due_at) == (T0 + H / 2, T0 + 5 * H, T0 + 6 * H)
    lived = start_clocks(P1, T0)
    for paused, ended in waits:
        lived = resumed(replace(lived, paused_at=paused), Calendar(), ended)
    assert again == lived


def test_a_past_wait_outside_business_hours_moves_nothing() -> None:
    office = PolicySpec(id=5, name="P3 office", priority=3, resolution=4 * H,
                        calendar=Calendar(weekly=parse_hours("mon-fri 09:00-17:00")))  # fmt: skip
    night = [(T0 + 9 * H, T0 + 23 * H)]  # Monday 18:00 to Tuesday 08:00
    assert start_clocks(office, T0, night).due_at == start_clocks(office, T0).due_at == T0 + 4 * H


def test_the_next_check_is_the_first_warning_or_breach_still_ahead() -> None:
    clocks = start_clocks(P1, T0)
    assert next_check(clocks, None) == T0 + timedelta(minutes=22.5)
    assert next_check(replace(clocks, responded_at=T0), T0) == T0 + 3 * H
    assert next_check(replace(clocks, resolved_at=T0), T0) is None


def test_crossings_are_those_between_the_watermark_and_now() -> None:
    clocks = start_clocks(P1, T0)
    found = crossings(clocks, since=T0 + timedelta(minutes=22.5), now=T0 + 3 * H)
    assert [(c.clock, c.kind) for c in found] == [
        ("first_response", "warning"),
        ("first_response", "breach"),
        ("resolution", "warning"),
    ]


def test_a_met_first_response_announces_nothing_more() -> None:
    clocks = replace(start_clocks(P1, T0), responded_at=T0 + timedelta(minutes=5))
    assert [c.clock for c in crossings(clocks, T0, T0 + 5 * H)] == ["resolution", "resolution"]


def test_the_page_shows_business_time_left_on_each_clock() -> None:
    clocks = replace(start_clocks(P1, T0), responded_at=T0 + timedelta(minutes=10))
    response, resolution = views(clocks, Calendar(), T0 + 1 * H)
    assert (response.state, response.stopped_at) == ("met", T0 + timedelta(minutes=10))
    assert (resolution.state, resolution.remaining) == ("running", 3 * H)
    assert format_span(resolution.remaining) == "3 h 00 min"


P1_UPDATES = replace(P1, next_update=1 * H)


def test_the_next_update_clock_starts_at_the_first_response() -> None:
    clocks = update_given(P1_UPDATES, start_clocks(P1_UPDATES, T0), T0 + 0.25 * H)
    assert (clocks.update_warn_at, clocks.update_due_at) == (T0 + timedelta(minutes=60), T0 + 1.25 * H)


def test_a_policy_without_a_next_update_target_keeps_no_update_clock() -> None:
    clocks = start_clocks(P1, T0)
    assert update_given(P1, clocks, T0 + H) == clocks


def test_each_update_starts_the_next_update_clock_again() -> None:
    first = update_given(P1_UPDATES, start_clocks(P1_UPDATES, T0), T0)
    again = update_given(P1_UPDATES, first, T0 + 0.5 * H)
    assert again.update_due_at == T0 + 1.5 * H and again.update_missed_at is None


def test_an_update_after_its_deadline_is_remembered_as_a_breach() -> None:
    first = replace(update_given(P1_UPDATES, start_clocks(P1_UPDATES, T0), T0), responded_at=T0)
    late = update_given(P1_UPDATES, first, T0 + 2 * H)
    assert late.update_missed_at == T0 + 1 * H and late.update_due_at == T0 + 3 * H
    assert state_at(late, T0 + 2 * H) == "breached"


def test_the_next_update_clock_warns_and_breaches_only_after_the_first_response() -> None:
    unanswered = start_clocks(P1_UPDATES, T0)
    assert "next_update" not in {clock for clock, _, _ in unanswered.instants()}
    answered = replace(update_given(P1_UPDATES, unanswered, T0), responded_at=T0)
    found = crossings(answered, since=T0, now=T0 + 1.5 * H)
    assert [(c.clock, c.kind) for c in found] == [("next_update", "warning"), ("next_update", "breach")]
    assert state_at(answered, T0 + 0.8 * H) == "warning"


def test_a_resolution_stops_the_next_update_clock() -> None:
    answered = replace(update_given(P1_UPDATES, start_clocks(P1_UPDATES, T0), T0), responded_at=T0)
    resolved = replace(answered, resolved_at=T0 + 0.5 * H)
    assert [c.clock for c in crossings(resolved, T0, T0 + 9 * H)] == []
    assert state_at(resolved, T0 + 9 * H) == "met"


def test_a_resolution_drops_the_update_deadline_so_a_reopening_starts_it_afresh() -> None:
    answered = replace(update_given(P1_UPDATES, start_clocks(P1_UPDATES, T0), T0), responded_at=T0)
    resolved = updates_at_resolution(replace(answered, resolved_at=T0 + 0.5 * H))
    assert (resolved.update_due_at, resolved.update_missed_at) == (None, None)
    reopened = update_given(P1_UPDATES, replace(resolved, resolved_at=None), T0 + 5 * H)
    assert reopened.update_due_at == T0 + 6 * H and reopened.update_missed_at is None


def test_an_update_deadline_missed_before_the_resolution_stays_missed() -> None:
    answered = replace(update_given(P1_UPDATES, start_clocks(P1_UPDATES, T0), T0), responded_at=T0)
    resolved = updates_at_resolution(replace(answered, resolved_at=T0 + 2 * H))
    assert resolved.update_due_at is None and resolved.update_missed_at == T0 + H


def test_an_update_while_waiting_counts_from_the_pause_and_moves_on_when_it_ends() -> None:
    waiting = replace(start_clocks(P1_UPDATES, T0), responded_at=T0, paused_at=T0 + H)
    updated = update_given(P1_UPDATES, waiting, T0 + 2 * H)
    assert updated.update_due_at == T0 + 2 * H  # a target from the moment the clocks stood still
    assert resumed(updated, Calendar(), T0 + 3 * H).update_due_at == T0 + 4 * H


def test_the_page_shows_the_next_update_clock() -> None:
    answered = replace(update_given(P1_UPDATES, start_clocks(P1_UPDATES, T0), T0), responded_at=T0)
    names = [(v.name, v.state) for v in views(answered, Calendar(), T0 + 0.9 * H)]
    assert names == [("First response", "met"), ("Next update", "warning"), ("Resolution", "running")]
