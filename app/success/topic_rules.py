"""Pure topic arithmetic: weekly counts, trend and spikes. No Flask, no database."""

from datetime import date, datetime, timedelta

WEEKS_SHOWN = 12
NEW_FOR_DAYS = 14
RECENT_DAYS = 14
BASELINE_DAYS = 42
RISING_RATIO = 1.5
FALLING_RATIO = 0.67
SPIKE_BASELINE_WEEKS = 4


def week_start(moment):
    """The Monday (a date) of the ISO week `moment` falls in."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def weekly_counts(created, now, weeks=WEEKS_SHOWN):
    """[{"week": "YYYY-MM-DD", "count": n}] for the last `weeks` calendar weeks, oldest first."""
    current = week_start(now)
    starts = [current - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    counts = dict.fromkeys(starts, 0)
    for moment in created:
        start = week_start(moment)
        if start in counts:
            counts[start] += 1
    return [{"week": start.isoformat(), "count": counts[start]} for start in starts]


def trend(created, first_seen, now):
    """`new`, `rising`, `steady` or `falling`, from the tickets' creation times.

    Rolling windows (not calendar weeks) so Monday mornings do not look like a collapse: the last
    two weeks per week against the six weeks before them per week.
    """
    if first_seen is not None and first_seen >= now - timedelta(days=NEW_FOR_DAYS):
        return "new"
    recent_from = now - timedelta(days=RECENT_DAYS)
    baseline_from = recent_from - timedelta(days=BASELINE_DAYS)
    recent = sum(1 for t in created if recent_from <= t <= now) / (RECENT_DAYS / 7)
    baseline = sum(1 for t in created if baseline_from <= t < recent_from) / (BASELINE_DAYS / 7)
    # Differences under one ticket a week are noise, whatever the ratio.
    if recent >= baseline * RISING_RATIO and recent - baseline >= 1:
        return "rising"
    if recent <= baseline * FALLING_RATIO and baseline - recent >= 1:
        return "falling"
    return "steady"


def spike(created, now, ratio, minimum, weeks=SPIKE_BASELINE_WEEKS):
    """(is_spike, count in the last 7 days, baseline per week over the `weeks` before)."""
    week_ago = now - timedelta(days=7)
    start = week_ago - timedelta(weeks=weeks)
    count = sum(1 for t in created if week_ago < t <= now)
    baseline = sum(1 for t in created if start < t <= week_ago) / weeks
    return (count >= minimum and count >= baseline * ratio and count > baseline), count, baseline


def iso_date(value):
    return value.isoformat() if isinstance(value, date) else None
