"""Demo SLA set-up: an office-hours calendar and two policies, and clocks for the seeded tickets."""

from datetime import date

from app.extensions import db
from app.models import BusinessCalendar, CalendarHoliday, SlaPolicy, SlaTarget
from app.support.sla.services import start_clocks_from_history

# minutes per priority (low, normal, high, urgent): first reply, next reply, resolution
ENTERPRISE = {"first_reply": (240, 120, 60, 30), "next_reply": (480, 240, 120, 60),
              "resolution": (1440, 960, 480, 240)}
STANDARD = {"first_reply": (480, 240, 120, 60), "next_reply": (960, 480, 240, 120),
            "resolution": (2400, 1440, 960, 480)}


def _targets(table):
    return [SlaTarget(metric=metric, priority=priority, minutes=minutes, business_hours=True)
            for metric, per_priority in table.items() for priority, minutes in enumerate(per_priority, start=1)]


def seed_sla(demo):
    years = sorted({demo.started_at.year, demo.now.year, demo.now.year + 1})
    holidays = []
    for year in years:
        holidays += [
            CalendarHoliday(name="New Year's Day", start_date=date(year, 1, 1), end_date=date(year, 1, 1)),
            CalendarHoliday(name="Labour Day", start_date=date(year, 5, 1), end_date=date(year, 5, 1)),
            CalendarHoliday(name="Christmas", start_date=date(year, 12, 24), end_date=date(year, 12, 26)),
        ]
    db.session.add(BusinessCalendar(
        name="Office hours (Berlin)", timezone="Europe/Berlin", is_default=True,
        hours={str(day): ([["09:00", "17:00"]] if day < 5 else []) for day in range(7)},
        holidays=holidays,
    ))
    db.session.add_all([
        SlaPolicy(name="Enterprise", position=0, conditions={"plans": ["enterprise"]},
                  escalation={"notify_assignee": True, "notify_group": True, "raise_priority": False,
                              "reassign_group_id": None},
                  warn_minutes=30, targets=_targets(ENTERPRISE)),
        SlaPolicy(name="Standard", position=1, conditions={},
                  escalation={"notify_assignee": True, "notify_group": False, "raise_priority": False,
                              "reassign_group_id": None},
                  warn_minutes=15, targets=_targets(STANDARD)),
    ])
    db.session.flush()
    # The tickets were written with their history before the policies existed: replay it, so
    # each ticket's clocks are what they would have been (past-due ones breached quietly).
    start_clocks_from_history([ticket.id for ticket in demo.tickets], demo.now)
