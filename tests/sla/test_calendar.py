"""Business-time arithmetic against a reference that steps minute by minute."""

import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.support.sla.calendar import ELAPSED, Calendar

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC")
# Windows around DST changes (both directions, both hemispheres) and ordinary weeks.
ANCHORS = (
    datetime(2026, 3, 27, tzinfo=timezone.utc),  # Europe springs forward on the 29th
    datetime(2026, 10, 23, tzinfo=timezone.utc),  # … and falls back on the 25th
    datetime(2026, 3, 6, tzinfo=timezone.utc),  # New York springs forward on the 8th
    datetime(2026, 10, 30, tzinfo=timezone.utc),  # … and falls back on 1 November
    datetime(2026, 4, 2, tzinfo=timezone.utc),  # Sydney falls back on 5 April
    datetime(2026, 10, 1, tzinfo=timezone.utc),  # … and springs forward on 4 October
    datetime(2026, 6, 10, tzinfo=timezone.utc),
    datetime(2026, 12, 28, tzinfo=timezone.utc),  # over the new year
)
MINUTE = timedelta(minutes=1)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def clock(minutes):
    return "24:00" if minutes == 1440 else f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_intervals(draw):
    """Up to three non-overlapping intervals of one day, on 5-minute marks."""
    points = draw(st.lists(st.integers(0, 288), min_size=0, max_size=6, unique=True))
    points = sorted(points)[: len(points) // 2 * 2]
    return [[clock(points[i] * 5), clock(points[i + 1] * 5)] for i in range(0, len(points), 2)]


@st.composite
def calendars(draw):
    zone = draw(st.sampled_from(ZONES))
    hours = {str(day): draw(day_intervals()) for day in range(7)}
    assume(any(hours.values()))
    anchor = draw(st.sampled_from(ANCHORS))
    holidays = []
    for _ in range(draw(st.integers(0, 2))):
        first = anchor.date() + timedelta(days=draw(st.integers(-1, 8)))
        holidays.append((first, first + timedelta(days=draw(st.integers(0, 2)))))
    return Calendar(zone, hours, holidays), hours, holidays, anchor


def is_business_minute(zone, hours, holidays, moment):
    local = moment.astimezone(zone)
    if any(start <= local.date() <= end for start, end in holidays):
        return False
    minute = local.hour * 60 + local.minute
    for start, end in hours[str(local.weekday())]:
        lo, hi = (int(x.split(":")[0]) * 60 + int(x.split(":")[1]) for x in (start, end))
        if lo <= minute < hi:
            return True
    return False


def reference_minutes(zone, hours, holidays, start, end):
    count, moment = 0, start
    while moment < end:
        count += is_business_minute(zone, hours, holidays, moment)
        moment += MINUTE
    return count


def reference_add(zone, hours, holidays, start, minutes, limit=timedelta(days=21)):
    moment, left = start, minutes
    while left:
        if moment - start > limit:
            return None
        if is_business_minute(zone, hours, holidays, moment):
            left -= 1
        moment += MINUTE
    return moment


@PROPERTY
@given(calendars(), st.integers(0, 6 * 24 * 60), st.integers(0, 4 * 24 * 60))
def test_seconds_between_matches_minute_stepping(spec, offset, length):
    calendar, hours, holidays, anchor = spec
    start = anchor + offset * MINUTE
    end = start + length * MINUTE
    expected = reference_minutes(calendar.zone, hours, holidays, start, end)
    assert calendar.seconds_between(start, end) == expected * 60


@PROPERTY
@given(calendars(), st.integers(0, 6 * 24 * 60), st.integers(1, 3 * 24 * 60))
def test_add_matches_minute_stepping(spec, offset, minutes):
    calendar, hours, holidays, anchor = spec
    start = anchor + offset * MINUTE
    expected = reference_add(calendar.zone, hours, holidays, start, minutes)
    assume(expected is not None)
    assert calendar.add(start, minutes * 60) == expected


@PROPERTY
@given(calendars(), st.integers(0, 6 * 24 * 60), st.integers(1, 10**6))
def test_add_is_the_earliest_instant_with_that_much_business_time(spec, offset, seconds):
    calendar, _, _, anchor = spec
    start = anchor + timedelta(minutes=offset, seconds=offset % 7)
    due = calendar.add(start, seconds)
    assert calendar.seconds_between(start, due) == seconds
    assert calendar.seconds_between(start, due - timedelta(microseconds=1)) < seconds


BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN).astimezone(timezone.utc)


def test_an_interval_starting_in_the_skipped_hour_starts_when_the_clocks_jump():
    calendar = Calendar("Europe/Berlin", {"6": [["02:30", "04:00"]]})  # Sunday 29 March 2026
    start = berlin(2026, 3, 29, 0, 0)
    assert calendar.seconds_between(start, start + timedelta(hours=6)) == 3600  # 03:00–04:00 CEST
    assert calendar.add(start, 60) == berlin(2026, 3, 29, 3, 1)


def test_the_repeated_hour_counts_twice():
    calendar = Calendar("Europe/Berlin", {"6": [["02:00", "03:00"]]})  # Sunday 25 October 2026
    start = datetime(2026, 10, 24, 22, 0, tzinfo=timezone.utc)
    assert calendar.seconds_between(start, start + timedelta(hours=6)) == 2 * 3600


def test_a_full_day_across_the_change_is_23_or_25_hours():
    calendar = Calendar("Europe/Berlin", {"6": [["00:00", "24:00"]]})
    spring = berlin(2026, 3, 29, 0, 0)
    autumn = berlin(2026, 10, 25, 0, 0)
    assert calendar.seconds_between(spring, spring + timedelta(days=2)) == 23 * 3600
    assert calendar.seconds_between(autumn, autumn + timedelta(days=2)) == 25 * 3600


def test_intervals_across_midnight_join_up():
    calendar = Calendar("UTC", {"0": [["22:00", "24:00"]], "1": [["00:00", "02:00"]]})
    monday_22 = datetime(2026, 3, 2, 22, tzinfo=timezone.utc)
    assert calendar.add(monday_22, 3 * 3600) == datetime(2026, 3, 3, 1, tzinfo=timezone.utc)


def test_holidays_are_inclusive_local_dates_and_weekends_are_skipped():
    week = {str(d): [["09:00", "17:00"]] for d in range(5)}
    calendar = Calendar("Europe/Berlin", week, [(date(2026, 12, 24), date(2026, 12, 26))])
    # Wednesday 23 December 16:00 + 2 h: one hour that day, Thursday to Saturday off, Sunday closed,
    # so the second hour is Monday 28 December 09:00–10:00.
    assert calendar.add(berlin(2026, 12, 23, 16, 0), 7200) == berlin(2026, 12, 28, 10, 0)


def test_targets_spanning_weeks_are_fast():
    week = {str(d): [["09:00", "12:00"], ["13:00", "17:00"]] for d in range(5)}
    calendar = Calendar("America/New_York", week, [(date(2026, 7, 3), date(2026, 7, 3))])
    start = datetime(2026, 3, 2, 15, tzinfo=timezone.utc)
    began = time.perf_counter()
    due = calendar.add(start, 400 * 3600)  # ~11.5 working weeks, over the DST change
    elapsed = time.perf_counter() - began
    assert calendar.seconds_between(start, due) == 400 * 3600
    assert elapsed < 0.05


def test_elapsed_time_counts_every_second():
    start = datetime(2026, 3, 28, 12, tzinfo=timezone.utc)
    assert ELAPSED.add(start, 86400) == start + timedelta(days=1)
    assert ELAPSED.seconds_between(start, start - timedelta(hours=1)) == 0


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        Calendar("UTC", {"0": [["09:00", "17:00"]]}).add(datetime(2026, 3, 2, 9), 60)
