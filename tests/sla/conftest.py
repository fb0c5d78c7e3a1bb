"""Builders for SLA tests: calendars, policies, and a clock that moves forward."""

from datetime import datetime, timedelta, timezone

import pytest

from app.models import BusinessCalendar, CalendarHoliday, SlaPolicy, SlaTarget

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)  # 09:00 in Berlin


@pytest.fixture
def at():
    """MONDAY 09:00 Berlin plus an offset: readable times in scenarios."""

    def moment(hours=0, minutes=0, days=0):
        return MONDAY + timedelta(days=days, hours=hours, minutes=minutes)

    return moment


@pytest.fixture
def make_calendar(db):
    def make(name="Office", tz="Europe/Berlin", hours=None, holidays=(), is_default=True):
        calendar = BusinessCalendar(
            name=name, timezone=tz, is_default=is_default,
            hours=hours if hours is not None else {str(d): ([["09:00", "17:00"]] if d < 5 else []) for d in range(7)},
            holidays=[CalendarHoliday(start_date=s, end_date=e, name="") for s, e in holidays],
        )
        db.session.add(calendar)
        db.session.commit()
        return calendar

    return make


@pytest.fixture
def make_policy(db):
    def make(name="Standard", targets=None, conditions=None, position=0, pause_statuses=None, escalation=None,
             warn_minutes=15, business_hours=True):
        """`targets`: {metric: minutes} for every priority, or {(metric, priority): minutes}."""
        targets = targets if targets is not None else {"first_reply": 60, "next_reply": 120, "resolution": 480}
        rows = []
        for key, minutes in targets.items():
            if isinstance(key, tuple):
                rows.append(SlaTarget(metric=key[0], priority=key[1], minutes=minutes, business_hours=business_hours))
            else:
                rows.extend(SlaTarget(metric=key, priority=p, minutes=minutes, business_hours=business_hours)
                            for p in range(1, 5))
        policy = SlaPolicy(name=name, position=position, conditions=conditions or {},
                           pause_statuses=pause_statuses or {}, escalation=escalation or {},
                           warn_minutes=warn_minutes, targets=rows)
        db.session.add(policy)
        db.session.commit()
        return policy

    return make

