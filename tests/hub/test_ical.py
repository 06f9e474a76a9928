"""iCalendar text as RFC 5545 wants it, read back by a real parser (the icalendar package)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from hub.ical import CalendarEvent, calendar

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SHIFT = CalendarEvent("s1@switchboard", NOW, NOW + timedelta(days=7), "On call: dba (ann@example.com)",
                      "ann@example.com is on call for dba.\nhttps://desk.example.com/oncall")  # fmt: skip


def parsed(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def test_every_line_ends_with_crlf_and_none_is_longer_than_75_octets() -> None:
    long = CalendarEvent("s2@switchboard", NOW, NOW + timedelta(hours=1), "Ünïcödé " * 30, "x" * 500)
    text = calendar("On call", [SHIFT, long], now=NOW)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75


def test_a_real_parser_reads_the_events_back_as_written() -> None:
    [event] = parsed(calendar("On call: dba", [SHIFT], now=NOW)).walk("VEVENT")
    assert str(event["UID"]) == "s1@switchboard" and str(event["SUMMARY"]) == SHIFT.summary
    assert event.decoded("DTSTART") == SHIFT.starts and event.decoded("DTEND") == SHIFT.ends
    assert str(event["DESCRIPTION"]) == SHIFT.description


def test_folded_multibyte_text_and_special_characters_survive_the_round_trip() -> None:
    summary = "On call: ops; eu, night\\shift " + "ü" * 80
    [event] = parsed(calendar("x", [CalendarEvent("u@x", NOW, NOW + timedelta(hours=1), summary)], now=NOW)).walk(
        "VEVENT"
    )
    assert str(event["SUMMARY"]) == summary


def test_control_characters_cannot_start_a_property_of_their_own() -> None:
    hostile = CalendarEvent("u@x", NOW, NOW + timedelta(hours=1), "dba\r\nATTENDEE:mailto:evil@example.com\x00")
    text = calendar("x", [hostile], now=NOW)
    assert "\r\nATTENDEE" not in text
    [event] = parsed(text).walk("VEVENT")
    assert "ATTENDEE" not in event and str(event["SUMMARY"]) == "dba\nATTENDEE:mailto:evil@example.com"


def test_the_calendar_is_named_and_an_empty_one_is_still_valid() -> None:
    cal = parsed(calendar("On call: dba", [], now=NOW))
    assert str(cal["X-WR-CALNAME"]) == "On call: dba" and list(cal.walk("VEVENT")) == []
