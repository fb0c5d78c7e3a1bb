"""The validation behind the SLA admin pages, as plain functions: every bad input is refused with
a message naming what is wrong and the field it belongs to."""

from datetime import date

import pytest

from app.core.errors import DomainError
from app.support.sla import config


def refused(fn, *args, **kwargs):
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    return info.value


# --- durations (targets) ------------------------------------------------------------------------

@pytest.mark.parametrize("text, minutes", [("90", 90), ("1:30", 90), (" 2:05 ", 125), ("0:45", 45), ("24:00", 1440)])
def test_targets_are_minutes_or_hours_and_minutes(text, minutes):
    assert config.parse_duration(text) == minutes


@pytest.mark.parametrize("text, message", [
    ("0", "more than zero"), ("0:00", "more than zero"), ("-5", "more than zero"), ("-1:00", "more than zero"),
    ("abc", "not a duration"), ("1:75", "not a duration"), ("", "not a duration"), ("1.5", "not a duration"),
    ("9999999", "not a duration"), ("600000", "at most 366 days"), ("8785:00", "at most 366 days"),
])
def test_bad_durations_are_refused(text, message):
    error = refused(config.parse_duration, text, field="target_first_reply_3")
    assert message in error.message
    assert error.field == "target_first_reply_3"


def test_a_policy_needs_at_least_one_positive_target():
    assert "at least one target" in refused(config.validate_targets, []).message
    assert refused(config.validate_targets, [("first_reply", 3, 0, True)]).field == "target_first_reply_3"
    assert refused(config.validate_targets, [("resolution", 1, "-30", False)]).field == "target_resolution_1"
    assert "Unknown metric" in refused(config.validate_targets, [("first_response", 3, "60", True)]).message
    assert "Unknown priority" in refused(config.validate_targets, [("first_reply", 9, "60", True)]).message
    assert config.validate_targets([("first_reply", 4, "0:30", True), ("resolution", 4, 480, False)]) == {
        ("first_reply", 4): (30, True), ("resolution", 4): (480, False)}


# --- working hours ------------------------------------------------------------------------------

def test_several_intervals_a_day_are_sorted_and_may_touch():
    assert config.parse_day_intervals("13:00-17:30, 9:00 – 12:00; 12:00-13:00") == [
        ["09:00", "12:00"], ["12:00", "13:00"], ["13:00", "17:30"]]
    assert config.parse_day_intervals("00:00-24:00") == [["00:00", "24:00"]]
    assert config.parse_day_intervals("  ") == []


@pytest.mark.parametrize("text, message", [
    ("09:00-12:00, 11:00-13:00", "overlap"),
    ("08:00-18:00, 10:00-11:00", "overlap"),
    ("17:00-09:00", "ends before it starts"),
    ("09:00-09:00", "ends before it starts"),
    ("25:00-26:00", "not a time of day"),
    ("09:60-10:00", "not a time of day"),
    ("24:00-24:00", "not a time of day"),
    ("nine to five", "not a time of day"),
    ("9-17", "not a time of day"),
    ("09:00", "not an interval"),
])
def test_bad_intervals_are_refused(text, message):
    error = refused(config.parse_day_intervals, text, field="hours_2")
    assert message in error.message
    assert error.field == "hours_2"


def test_a_week_without_working_hours_is_refused():
    assert "at least one day" in refused(config.validate_hours, {}).message
    assert "Unknown weekday" in refused(config.validate_hours, {"7": [("09:00", "17:00")]}).message
    hours = config.validate_hours({0: [("09:00", "17:00")], "5": []})
    assert hours == {"0": [["09:00", "17:00"]], "1": [], "2": [], "3": [], "4": [], "5": [], "6": []}


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "europe/berlin", "UTC+3"])
def test_unknown_time_zones_are_refused(zone):
    error = refused(config.validate_timezone, zone)
    assert error.field == "timezone"
    assert "not a known time zone" in error.message


def test_known_time_zones_pass():
    assert config.validate_timezone(" Europe/Sofia ") == "Europe/Sofia"
    assert "America/New_York" in config.timezone_choices()


# --- holidays -----------------------------------------------------------------------------------

def test_holidays_are_single_days_or_ranges_with_names():
    text = "2026-12-24 .. 2026-12-26 Christmas\n\n2026-1-1 New Year\n2026-05-01"
    assert config.parse_holidays(text) == [
        (date(2026, 1, 1), date(2026, 1, 1), "New Year"),
        (date(2026, 5, 1), date(2026, 5, 1), ""),
        (date(2026, 12, 24), date(2026, 12, 26), "Christmas"),
    ]


@pytest.mark.parametrize("text, message", [
    ("2026-12-31 .. 2026-12-24 Backwards", "ends (2026-12-24) before it starts (2026-12-31)"),
    ("1899-01-01 Old", "outside the years 2000–2100"),
    ("2026-01-01 .. 2201-01-01 Forever", "outside the years"),
    ("2026-01-01 .. 2027-06-01 Sabbatical", "longer than a year"),
    ("2026-02-30 Nope", "is not a date"),
    ("Christmas 2026-12-25", "Line 1"),
    ("2026-01-01\nsoon", "Line 2"),
])
def test_bad_holidays_are_refused(text, message):
    error = refused(config.parse_holidays, text)
    assert message in error.message
    assert error.field == "holidays"


def test_holiday_tuples_are_checked_too():
    assert "before it starts" in refused(config.validate_holidays, [(date(2026, 3, 2), date(2026, 3, 1), "x")]).message


# --- conditions, pauses, escalation, warning ----------------------------------------------------

def test_conditions_are_normalized():
    clean = config.validate_conditions(
        {"priorities": ["4", 3, 3], "channels": ["web"], "group_ids": ["2"], "plans": [" Enterprise ", "Enterprise"],
         "segment_tags": ["EMEA Region"], "tags": ["Billing Issue", ""]}, known_group_ids={2})
    assert clean == {"priorities": [3, 4], "plans": ["Enterprise"], "segment_tags": ["emea-region"],
                     "group_ids": [2], "channels": ["web"], "tags": ["billing-issue"]}
    assert config.validate_conditions({}) == {"priorities": [], "plans": [], "segment_tags": [], "group_ids": [],
                                              "channels": [], "tags": []}


@pytest.mark.parametrize("conditions, field", [
    ({"priorities": [7]}, "priorities"),
    ({"channels": ["fax"]}, "channels"),
    ({"group_ids": [99]}, "group_ids"),
    ({"tags": ["x" * 65]}, "tags"),
    ({"priorities": ["urgent"]}, "priorities"),
    ({"group_ids": ["billing"]}, "group_ids"),
])
def test_bad_conditions_are_refused(conditions, field):
    assert refused(config.validate_conditions, conditions, known_group_ids={1}).field == field


def test_only_waiting_statuses_pause_clocks():
    assert config.validate_pause_statuses(config.DEFAULT_PAUSE_STATUSES) == {
        "first_reply": ["pending"], "next_reply": ["pending"], "resolution": ["pending", "on_hold"],
        "periodic_update": ["pending"]}
    assert refused(config.validate_pause_statuses, {"resolution": ["open"]}).field == "pause_resolution"
    assert "Unknown metric" in refused(config.validate_pause_statuses, {"lunch": ["pending"]}).message


def test_escalation_and_warning_time():
    assert config.validate_escalation({"notify_assignee": "y", "reassign_group_id": "3"}, {3}) == {
        "notify_assignee": True, "notify_group": False, "raise_priority": False, "reassign_group_id": 3}
    assert refused(config.validate_escalation, {"reassign_group_id": 4}, {3}).field == "reassign_group_id"
    assert refused(config.validate_escalation, {"reassign_group_id": "vip"}, {3}).field == "reassign_group_id"
    assert config.validate_warn_minutes("") == 15
    assert config.validate_warn_minutes("0") == 0
    for bad in ("-1", "x", "1.5", str(config.MAX_WARN_MINUTES + 1)):
        assert refused(config.validate_warn_minutes, bad).field == "warn_minutes"
