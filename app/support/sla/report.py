"""SLA attainment report: achieved vs breached targets with median and 90th-percentile times.

One filtered, bounded query reads the clocks that have an outcome (achieved, or breached) and started
in the period; the rest (business durations, ISO weeks, percentiles) is worked out in Python over
those rows, which is fine for a report. Durations are business hours on the calendar of the
ticket's group (or the default calendar), from the clock's start to its achievement.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.core.errors import DomainError
from app.extensions import db
from app.models import Group, Ticket
from app.models.sla import METRICS, BusinessCalendar, SlaPolicy, TicketSlaClock
from app.support.rules import PRIORITY_NAMES
from app.support.sla.calendar import calendar_from_model

MAX_DAYS = 366
MAX_ROWS = 50_000
NO_GROUP = "none"
# Histogram bin edges in business hours; the last bin is open-ended.
HISTOGRAM_EDGES = (0, 0.5, 1, 2, 4, 8, 24, 48, 120)
HISTOGRAM_METRICS = ("first_reply", "resolution")


@dataclass(frozen=True)
class ReportFilters:
    start: object  # date, inclusive, in the viewer's time zone
    end: object  # date, inclusive
    timezone: str = "UTC"
    group_id: object = None  # int, NO_GROUP or None for all
    priority: int | None = None
    policy_id: int | None = None
    metric: str | None = None

    def utc_bounds(self):
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(self.start, time(), zone)
        end = datetime.combine(self.end + timedelta(days=1), time(), zone)
        return start, end


@dataclass
class Stats:
    achieved: int = 0
    breached: int = 0
    hours: list = field(default_factory=list)  # business hours to achievement

    def add(self, outcome):
        if outcome.breached:
            self.breached += 1
        else:
            self.achieved += 1
        if outcome.hours is not None:
            self.hours.append(outcome.hours)

    @property
    def total(self):
        return self.achieved + self.breached

    @property
    def attainment(self):
        """Percent of targets met, or None when there were none."""
        return 100.0 * self.achieved / self.total if self.total else None

    @property
    def median(self):
        return percentile(self.hours, 50)

    @property
    def p90(self):
        return percentile(self.hours, 90)


@dataclass(frozen=True)
class Outcome:
    """One clock's result, with the dimensions it is counted under."""

    policy: str
    metric: str
    priority: str
    group: str
    week: str
    breached: bool
    hours: float | None


@dataclass
class SlaReport:
    filters: ReportFilters
    outcomes: list
    truncated: bool

    def total(self):
        stats = Stats()
        for outcome in self.outcomes:
            stats.add(outcome)
        return stats

    def by(self, *dimensions):
        """{(value, …): Stats} over the given Outcome attributes, sorted by key."""
        table = {}
        for outcome in self.outcomes:
            key = tuple(getattr(outcome, d) for d in dimensions)
            table.setdefault(key, Stats()).add(outcome)
        return dict(sorted(table.items(), key=lambda item: tuple(_sort_key(d, v) for d, v in zip(dimensions, item[0]))))

    def histogram(self, metric):
        """Counts of achieved times per HISTOGRAM_EDGES bin for one metric."""
        counts = [0] * len(HISTOGRAM_EDGES)
        for outcome in self.outcomes:
            if outcome.metric == metric and outcome.hours is not None:
                counts[histogram_bin(outcome.hours)] += 1
        return counts


def report_filters(*, start, end, timezone="UTC", group=None, priority=None, policy=None, metric=None):
    """Filters from the request's values ('' means all); DomainError says what is wrong."""
    if end < start:
        raise DomainError(_("The period ends (%(end)s) before it starts (%(start)s).",
                            start=start.isoformat(), end=end.isoformat()))
    if (end - start).days >= MAX_DAYS:
        raise DomainError(_("Choose a period of at most %(n)d days.", n=MAX_DAYS))
    if not (2000 <= start.year and end.year <= 2100):
        raise DomainError(_("Choose dates between the years 2000 and 2100."))
    if group not in (None, "", NO_GROUP):
        group = _whole_number(group, _("Unknown group."))
    if priority not in (None, ""):
        priority = _whole_number(priority, _("Unknown priority."))
        if priority not in PRIORITY_NAMES:
            raise DomainError(_("Unknown priority."))
    if metric not in (None, "") and metric not in METRICS:
        raise DomainError(_("Unknown metric."))
    return ReportFilters(
        start=start, end=end, timezone=timezone, group_id=group or None,
        priority=priority if priority != "" else None,
        policy_id=_whole_number(policy, _("Unknown policy.")) if policy not in (None, "") else None,
        metric=metric or None,
    )


def _whole_number(value, message):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(message) from None
    if not 0 < number < 2**31:
        raise DomainError(message)
    return number


def _sort_key(dimension, value):
    if dimension == "metric":
        return (METRICS.index(value) if value in METRICS else len(METRICS), value)
    if dimension == "priority":
        order = {name: number for number, name in PRIORITY_NAMES.items()}
        return (-order.get(value, 0), value)
    return (0, value.lower() if isinstance(value, str) else value)


def percentile(values, q):
    """The q-th percentile with linear interpolation between ranks (numpy's default); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def histogram_bin(hours):
    for index in range(len(HISTOGRAM_EDGES) - 1, -1, -1):
        if hours >= HISTOGRAM_EDGES[index]:
            return index
    return 0


def iso_week(moment, zone):
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def clock_query(filters, limit=MAX_ROWS):
    """The clocks with an outcome that started in the period, filtered in SQL and bounded."""
    start, end = filters.utc_bounds()
    query = (
        select(TicketSlaClock.id, TicketSlaClock.metric, TicketSlaClock.started_at, TicketSlaClock.due_at,
               TicketSlaClock.achieved_at, TicketSlaClock.breached_at, SlaPolicy.name.label("policy_name"),
               Ticket.priority, Ticket.group_id)
        .join(Ticket, Ticket.id == TicketSlaClock.ticket_id)
        .outerjoin(SlaPolicy, SlaPolicy.id == TicketSlaClock.policy_id)
        .where(TicketSlaClock.started_at >= start, TicketSlaClock.started_at < end,
               TicketSlaClock.state != "cancelled",
               or_(TicketSlaClock.achieved_at.is_not(None), TicketSlaClock.breached_at.is_not(None)))
    )
    if filters.metric:
        query = query.where(TicketSlaClock.metric == filters.metric)
    if filters.policy_id is not None:
        query = query.where(TicketSlaClock.policy_id == filters.policy_id)
    if filters.priority is not None:
        query = query.where(Ticket.priority == filters.priority)
    if filters.group_id == NO_GROUP:
        query = query.where(Ticket.group_id.is_(None))
    elif filters.group_id is not None:
        query = query.where(Ticket.group_id == filters.group_id)
    return query.order_by(TicketSlaClock.id).limit(limit + 1)


def _calendars(group_ids):
    """group id (None for no group) → business-time arithmetic: the group's calendar or the default."""
    default = db.session.scalar(select(BusinessCalendar).options(selectinload(BusinessCalendar.holidays))
                                .where(BusinessCalendar.is_default.is_(True)).order_by(BusinessCalendar.id).limit(1))
    fallback = calendar_from_model(default)
    result = {group_id: fallback for group_id in group_ids}
    result[None] = fallback
    ids = [g for g in group_ids if g is not None]
    if ids:
        for group in db.session.scalars(select(Group).where(Group.id.in_(ids), Group.calendar_id.is_not(None))):
            result[group.id] = calendar_from_model(group.calendar)
    return result


def build_report(filters, labels=None):
    """The report for `filters`. `labels` (optional) names the deleted policy and the missing group."""
    labels = labels or {}
    rows = db.session.execute(clock_query(filters)).all()
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    calendars = _calendars({r.group_id for r in rows})
    group_names = dict(db.session.execute(
        select(Group.id, Group.name).where(Group.id.in_({r.group_id for r in rows if r.group_id is not None}))).all())
    zone = ZoneInfo(filters.timezone)
    outcomes = []
    for r in rows:
        hours = None
        if r.achieved_at is not None:
            hours = calendars[r.group_id].seconds_between(r.started_at, r.achieved_at) / 3600.0
        breached = r.breached_at is not None or (
            r.achieved_at is not None and r.due_at is not None and r.achieved_at > r.due_at)
        outcomes.append(Outcome(
            policy=r.policy_name or labels.get("deleted_policy", "(deleted policy)"),
            metric=r.metric,
            priority=PRIORITY_NAMES.get(r.priority, str(r.priority)),
            group=group_names.get(r.group_id) or labels.get("no_group", "(no group)"),
            week=iso_week(r.started_at, zone),
            breached=breached,
            hours=hours,
        ))
    return SlaReport(filters=filters, outcomes=outcomes, truncated=truncated)


CSV_HEADER = ("policy", "metric", "priority", "group", "week", "achieved", "breached", "attainment_percent",
              "median_business_hours", "p90_business_hours")


def csv_rows(report):
    """One row per (policy, metric, priority, group, week), as CSV_HEADER names them."""
    yield CSV_HEADER
    for (policy, metric, priority, group, week), stats in report.by("policy", "metric", "priority", "group",
                                                                      "week").items():
        yield (_csv_text(policy), metric, priority, _csv_text(group), week, stats.achieved, stats.breached,
               _fixed(stats.attainment, 1), _fixed(stats.median, 2), _fixed(stats.p90, 2))


def _fixed(value, places):
    return "" if value is None else f"{value:.{places}f}"


def _csv_text(value):
    # Names are typed by people; a leading =, +, - or @ would be a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
