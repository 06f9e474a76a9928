"""Time zones people read and type times in: worked examples around Berlin's clock changes, and a property."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub import zones
from hub.config import Settings
from hub.errors import BadInput, ConfigError
from tests.fuzzing import fuzz

BERLIN = zones.zone_of("Europe/Berlin")
NEW_YORK = zones.zone_of("America/New_York")


def test_a_winter_wall_clock_time_in_berlin_is_an_hour_ahead_of_utc() -> None:
    assert zones.from_local(datetime(2026, 11, 27, 10, 0), BERLIN) == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_a_time_the_clocks_skip_when_they_go_forward_is_refused() -> None:
    # 2026-03-29: Berlin's clocks jump from 02:00 to 03:00, so 02:30 never happens there.
    with pytest.raises(zones.NoSuchTime, match="2026-03-29 02:30 does not exist in Europe/Berlin"):
        zones.from_local(datetime(2026, 3, 29, 2, 30), BERLIN)


def test_the_times_either_side_of_the_gap_are_taken() -> None:
    assert zones.from_local(datetime(2026, 3, 29, 1, 59), BERLIN) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert zones.from_local(datetime(2026, 3, 29, 3, 0), BERLIN) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_time_the_clocks_repeat_when_they_go_back_is_taken_as_the_first() -> None:
    # 2026-10-25: Berlin's clocks go back from 03:00 CEST to 02:00 CET, so 02:30 happens twice.
    first = zones.from_local(datetime(2026, 10, 25, 2, 30), BERLIN)
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert zones.wall_clock(first, BERLIN) == "2026-10-25 02:30 CEST"


def test_times_are_shown_with_the_zones_abbreviation() -> None:
    moment = datetime(2026, 11, 27, 9, 14, tzinfo=UTC)
    assert zones.wall_clock(moment, BERLIN) == "2026-11-27 10:14 CET"
    assert zones.wall_clock(datetime(2026, 7, 1, 9, 14, tzinfo=UTC), BERLIN) == "2026-07-01 11:14 CEST"
    assert zones.wall_clock(moment, zones.zone_of("UTC")) == "2026-11-27 09:14 UTC"


def test_seconds_are_shown_when_asked_for() -> None:
    assert zones.wall_clock(datetime(2026, 11, 27, 9, 14, 5, 900, tzinfo=UTC), BERLIN, seconds=True) == (
        "2026-11-27 10:14:05 CET"
    )


def test_an_exported_time_is_the_local_wall_clock_with_its_utc_offset_to_the_second() -> None:
    assert zones.with_offset(datetime(2026, 11, 27, 9, 14, 5, 900, tzinfo=UTC), BERLIN) == "2026-11-27T10:14:05+01:00"
    assert zones.with_offset(datetime(2026, 7, 1, 9, 14, tzinfo=UTC), BERLIN) == "2026-07-01T11:14:00+02:00"
    assert (
        zones.with_offset(datetime(2026, 7, 1, 9, 14, tzinfo=UTC), zones.zone_of("UTC")) == "2026-07-01T09:14:00+00:00"
    )


def test_a_persons_choice_wins_over_the_installations_zone() -> None:
    assert zones.zone_for("Europe/Berlin", "America/New_York") == BERLIN


def test_without_a_choice_the_installations_zone_applies() -> None:
    assert zones.zone_for(None, "America/New_York") == NEW_YORK


def test_a_choice_the_zone_database_no_longer_knows_falls_back_to_the_installations() -> None:
    assert zones.zone_for("Atlantis/Capital", "America/New_York") == NEW_YORK


def test_an_unknown_zone_is_refused_with_an_example_of_a_real_one() -> None:
    with pytest.raises(BadInput, match="'Mars/Olympus' is not an IANA time zone; write one like Europe/Berlin"):
        zones.zone_of("Mars/Olympus")


@pytest.mark.parametrize("name", ["America", "Europe/" + "x" * 300], ids=["a folder of the database", "too long"])
def test_a_name_zoneinfo_opens_as_a_file_and_cannot_is_refused_like_any_unknown_one(name: str) -> None:
    """zoneinfo opens the file the name spells: a folder or a name too long for one raised OSError (a 500 for a
    CSV export's `?tz=America`), found by a harder fuzz run of the rules import's `timezone`."""
    with pytest.raises(BadInput, match="is not an IANA time zone; write one like Europe/Berlin"):
        zones.zone_of(name)


def test_the_installation_reads_times_in_utc_unless_switchboard_timezone_names_a_zone(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path)}
    assert Settings.from_env(env).timezone == "UTC"
    assert Settings.from_env({**env, "SWITCHBOARD_TIMEZONE": "Europe/Berlin"}).timezone == "Europe/Berlin"
    with pytest.raises(ConfigError, match="SWITCHBOARD_TIMEZONE must be an IANA time zone such as Europe/Berlin"):
        Settings.from_env({**env, "SWITCHBOARD_TIMEZONE": "Mars/Olympus"})


def test_the_zones_offered_are_sorted_and_hold_the_usual_ones() -> None:
    offered = zones.names()
    assert list(offered) == sorted(offered) and {"UTC", "Europe/Berlin", "America/New_York"} <= set(offered)


@fuzz(300)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]),
)
def test_a_shown_time_typed_back_is_the_same_instant_or_the_first_of_a_repeated_hour(
    moment: datetime, name: str
) -> None:
    zone = zones.zone_of(name)
    wall = zones.to_local(moment, zone).replace(tzinfo=None)
    typed = zones.from_local(wall, zone)
    assert typed == moment or (typed < moment and zones.to_local(typed, zone).replace(tzinfo=None) == wall)


@fuzz(300)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]),
)
def test_an_exported_time_read_back_is_the_same_instant_to_the_second(moment: datetime, name: str) -> None:
    assert datetime.fromisoformat(zones.with_offset(moment, zones.zone_of(name))) == moment.replace(microsecond=0)
