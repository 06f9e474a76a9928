"""Business-time arithmetic: worked examples people can check by hand, and properties hypothesis tries hard to break."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.business_hours import (
    ALWAYS,
    Calendar,
    add_business_time,
    business_time_between,
    format_hours,
    holidays_from_ical,
    parse_hours,
    shift_for_pause,
)
from hub.errors import BadInput
from tests.fuzzing import fuzz

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = Calendar(tz="Europe/Berlin", weekly=parse_hours("mon-fri 09:00-17:00"))
SPLIT = Calendar(tz="America/New_York", weekly=parse_hours("mon-fri 08:00-12:00,13:00-17:30; sat 10:00-14:00"))
GERMAN = Calendar(tz="Europe/Berlin", weekly=parse_hours("mon-fri 09:00-17:00"), country="DE", subdivision="BY")
CALENDARS = st.sampled_from([OFFICE, SPLIT, GERMAN, ALWAYS, Calendar(tz="America/New_York")])

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)).map(
    lambda d: timedelta(seconds=int(d.total_seconds()))
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_four_business_hours_from_friday_1600_are_due_monday_1200() -> None:
    friday = berlin(2026, 3, 6, 16, 0)
    assert add_business_time(OFFICE, friday, timedelta(hours=4)) == berlin(2026, 3, 9, 12, 0)


def test_an_incident_opened_at_night_starts_counting_when_the_office_opens() -> None:
    assert add_business_time(OFFICE, berlin(2026, 3, 10, 2, 0), timedelta(minutes=30)) == berlin(2026, 3, 10, 9, 30)


def test_a_gap_between_ranges_is_skipped() -> None:
    monday_1130 = datetime(2026, 3, 9, 11, 30, tzinfo=NEW_YORK)
    assert add_business_time(SPLIT, monday_1130, timedelta(hours=1)) == datetime(2026, 3, 9, 13, 30, tzinfo=NEW_YORK)


def test_public_holidays_of_the_country_are_skipped() -> None:
    # 6 January (Epiphany) is a holiday in Bavaria; Monday 5 January 16:00 + 2 h runs into Wednesday.
    assert add_business_time(GERMAN, berlin(2026, 1, 5, 16, 0), timedelta(hours=2)) == berlin(2026, 1, 7, 10, 0)


def test_explicit_holidays_are_skipped() -> None:
    closed = Calendar(tz="Europe/Berlin", weekly=OFFICE.weekly, extra_holidays=frozenset({date(2026, 3, 10)}))
    assert add_business_time(closed, berlin(2026, 3, 9, 16, 0), timedelta(hours=2)) == berlin(2026, 3, 11, 10, 0)


def test_a_business_day_is_eight_hours_on_the_night_berlin_springs_forward() -> None:
    # Sunday 29 March 2026 loses an hour at 02:00; Friday 17:00 -> Monday 09:00 is one business second apart.
    friday_close, monday_open = berlin(2026, 3, 27, 16, 59, 59), berlin(2026, 3, 30, 9, 0)
    assert business_time_between(OFFICE, friday_close, monday_open) == timedelta(seconds=1)


def test_office_hours_follow_local_time_across_new_yorks_dst_change() -> None:
    day = Calendar(tz="America/New_York", weekly=parse_hours("mon-sun 09:00-17:00"))
    saturday_noon = datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK)  # clocks fall back on Sunday 1 November
    due = add_business_time(day, saturday_noon, timedelta(hours=8))
    assert due == datetime(2026, 11, 1, 12, 0, tzinfo=NEW_YORK)
    assert due - saturday_noon == timedelta(hours=25)  # a day of 25 hours lies between


def test_a_24x7_calendar_across_berlins_autumn_change_counts_elapsed_time() -> None:
    always_berlin = Calendar(tz="Europe/Berlin")
    before = berlin(2026, 10, 25, 1, 0)  # the night of 25 October 2026 has 25 hours
    # (Python adds to a zoned datetime on the wall clock; elapsed time is addition in UTC.)
    elapsed = before.astimezone(UTC) + timedelta(hours=3)
    assert add_business_time(always_berlin, before, timedelta(hours=3)) == elapsed
    assert elapsed.astimezone(BERLIN).hour == 3  # not 04:00: the wall clock went back an hour on the way


def test_a_pause_inside_business_hours_pushes_the_due_time_by_its_length() -> None:
    start = berlin(2026, 3, 9, 9, 0)
    pause = (berlin(2026, 3, 9, 10, 0), berlin(2026, 3, 9, 11, 30))
    assert add_business_time(OFFICE, start, timedelta(hours=4), [pause]) == berlin(2026, 3, 9, 14, 30)


def test_a_pause_outside_business_hours_changes_nothing() -> None:
    start = berlin(2026, 3, 9, 9, 0)
    night = (berlin(2026, 3, 9, 20, 0), berlin(2026, 3, 10, 7, 0))
    assert add_business_time(OFFICE, start, timedelta(hours=10), [night]) == berlin(2026, 3, 10, 11, 0)


def test_shifting_for_a_pause_keeps_the_business_time_that_was_left() -> None:
    due = berlin(2026, 3, 9, 15, 0)
    moved = shift_for_pause(OFFICE, due, berlin(2026, 3, 9, 14, 0), berlin(2026, 3, 10, 10, 0))
    assert moved == berlin(2026, 3, 10, 11, 0)


def test_an_instant_before_the_pause_does_not_move() -> None:
    passed = berlin(2026, 3, 9, 13, 0)
    assert shift_for_pause(OFFICE, passed, berlin(2026, 3, 9, 14, 0), berlin(2026, 3, 10, 10, 0)) == passed


def test_a_calendar_without_hours_is_refused() -> None:
    with pytest.raises(BadInput, match="needs some business hours"):
        Calendar(weekly=((),) * 7)


def test_an_unknown_time_zone_is_refused_with_an_example() -> None:
    with pytest.raises(BadInput, match="Europe/Berlin"):
        Calendar(tz="Mars/Olympus")


@pytest.mark.parametrize("text", ["mon-fri 9-17", "moonday 09:00-17:00", "mon-fri", "mon 17:00-09:00"])
def test_malformed_hours_are_refused_with_the_reason(text: str) -> None:
    with pytest.raises(BadInput):
        parse_hours(text)


@pytest.mark.parametrize(
    "text",
    ["mon-tue 08:00-12:00,13:00-17:30; sat 10:00-14:00", "mon-fri 09:00-17:00", "mon 09:00-12:00; wed-sun 10:00-14:00",
     "sun 00:00-24:00", "24x7"],
)  # fmt: skip
def test_hours_read_back_as_written(text: str) -> None:
    assert format_hours(parse_hours(text)) == text


def test_days_with_the_same_hours_read_back_as_one_span() -> None:
    text = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 10:00-16:00; fri 10:00-16:00"
    assert format_hours(parse_hours(text)) == "mon-wed 09:00-17:00; thu-fri 10:00-16:00"


def test_all_day_events_of_an_ical_file_become_holidays() -> None:
    ical = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20261224\r\n"
        "DTEND;VALUE=DATE:20261227\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Meeting\r\n"
        "DTSTART:20261230T100000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261231\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    assert holidays_from_ical(ical) == {date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 31)}


def all_day(start: str, end: str = "") -> str:
    """An iCalendar file of one all-day event (DTEND exclusive), its DTSTART on line 3."""
    ends = f"DTEND;VALUE=DATE:{end}\r\n" if end else ""
    return f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:{start}\r\n{ends}END:VEVENT\r\nEND:VCALENDAR\r\n"


@pytest.mark.parametrize("day", ["20260230", "20261300", "00000101"])
def test_an_all_day_event_on_a_date_no_calendar_has_is_refused_with_its_line(day: str) -> None:
    """Found by fuzzing: ValueError escaped, a 500 for the calendar form's upload."""
    with pytest.raises(BadInput, match=f"line 3: {day} is no date"):
        holidays_from_ical(all_day(day))


def test_the_last_day_a_calendar_has_is_a_closed_day_like_any_other() -> None:
    """Found by fuzzing: counting on to the day after 9999-12-31 raised OverflowError."""
    assert holidays_from_ical(all_day("99991231")) == {date(9999, 12, 31)}


def test_an_all_day_event_longer_than_a_year_is_refused_not_added_a_day_at_a_time() -> None:
    """Found by fuzzing: 00010101-99991231 was three million closed days, added one by one."""
    with pytest.raises(BadInput, match="line 5: an all-day event of 3,652,058 days is no closure"):
        holidays_from_ical(all_day("00010101", "99991231"))
    assert len(holidays_from_ical(all_day("20260101", "20270101"))) == 365


# -- properties ----------------------------------------------------------------------------------------------------


@fuzz(300)
@given(CALENDARS, instants, durations)
def test_a_due_time_is_never_before_its_start(calendar: Calendar, start: datetime, duration: timedelta) -> None:
    assert add_business_time(calendar, start, duration) >= start


@fuzz(300)
@given(CALENDARS, instants, durations)
def test_the_business_time_up_to_the_due_time_is_the_duration(
    calendar: Calendar, start: datetime, duration: timedelta
) -> None:
    assert business_time_between(calendar, start, add_business_time(calendar, start, duration)) == duration


@fuzz(300)
@given(CALENDARS, instants, durations, st.lists(st.tuples(instants, st.timedeltas(timedelta(0), timedelta(days=3)))))
def test_pausing_never_makes_a_due_time_earlier(
    calendar: Calendar, start: datetime, duration: timedelta, pauses: list[tuple[datetime, timedelta]]
) -> None:
    paused = [(a, a + length) for a, length in pauses]
    assert add_business_time(calendar, start, duration, paused) >= add_business_time(calendar, start, duration)


@fuzz(200)
@given(CALENDARS, instants, durations, durations)
def test_a_longer_target_is_never_due_sooner(calendar: Calendar, start: datetime, a: timedelta, b: timedelta) -> None:
    shorter, longer = sorted((a, b))
    assert add_business_time(calendar, start, shorter) <= add_business_time(calendar, start, longer)


@fuzz(200)
@given(instants, durations)
def test_holidays_only_ever_delay(start: datetime, duration: timedelta) -> None:
    assert add_business_time(GERMAN, start, duration) >= add_business_time(OFFICE, start, duration)


@fuzz(200)
@given(instants, durations)
def test_no_business_time_runs_on_a_holiday(start: datetime, duration: timedelta) -> None:
    due = add_business_time(GERMAN, start, duration)
    if duration:
        assert not GERMAN.is_holiday(due.astimezone(BERLIN).date())


@fuzz(300)
@given(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]), instants, durations)
def test_a_24x7_calendar_is_wall_clock_addition(tz: str, start: datetime, duration: timedelta) -> None:
    assert add_business_time(Calendar(tz=tz), start, duration) == start + duration


@fuzz(200)
@given(st.sampled_from([OFFICE, SPLIT]), instants, durations)
def test_a_positive_target_falls_due_within_business_hours(
    calendar: Calendar, start: datetime, duration: timedelta
) -> None:
    due = add_business_time(calendar, start, duration)
    if duration:
        local = due.astimezone(calendar.zone)
        minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
        assert any(a < minute <= b for a, b in calendar.weekly[local.weekday()])


#: Dates as iCalendar writes them, ones no calendar has, digits that are not ASCII, and any eight digits.
ICAL_DATES = st.sampled_from(
    ["20261224", "20261227", "20260230", "00010101", "99991231", "²⁰²⁶¹²²⁴", "2026122"]
) | st.text("0123456789", min_size=8, max_size=8)


@st.composite
def ical_files(draw: st.DrawFn) -> str:
    """A file of all-day events with any dates, timed events and stray lines among them."""
    lines = ["BEGIN:VCALENDAR"]
    for _ in range(draw(st.integers(0, 4))):
        lines += ["BEGIN:VEVENT", f"DTSTART;VALUE=DATE:{draw(ICAL_DATES)}"]
        if draw(st.booleans()):
            lines.append(f"DTEND;VALUE=DATE:{draw(ICAL_DATES)}")
        lines += draw(st.lists(st.sampled_from(["DTSTART:20261230T100000Z", "RRULE:FREQ=DAILY", " ", ":"]), max_size=2))
        lines.append(draw(st.sampled_from(["END:VEVENT", "END:VEVENT", ""])))
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


@fuzz(300)
@given(ical_files())
def test_any_ical_file_gives_closed_days_or_is_refused_naming_a_line(text: str) -> None:
    try:
        days = holidays_from_ical(text)
    except BadInput as exc:
        assert str(exc).startswith("line ")
        return
    assert all(isinstance(day, date) for day in days)


HOURS_PARTS = ["mon", "fri", "sun", "-", ",", ";", " ", "09:00", "17:00", "24:00", "99:99", "mon-fri", "sat-mon", "²",
               "\x00", "24x7", "12:00-12:00"]  # fmt: skip


@fuzz(300)
@given(st.lists(st.sampled_from(HOURS_PARTS) | st.text(max_size=3), max_size=12))
def test_any_hours_text_reads_back_as_written_or_is_refused(parts: list[str]) -> None:
    try:
        weekly = parse_hours("".join(parts))
    except BadInput as exc:
        assert str(exc)
        return
    assert parse_hours(format_hours(weekly)) == weekly
