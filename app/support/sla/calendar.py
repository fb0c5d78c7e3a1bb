"""Business-time arithmetic: pure functions over a calendar's local working hours.

A calendar's intervals are local wall-clock times in an IANA time zone. The business instants of a
local date are the UTC instants whose local time falls inside one of that weekday's intervals
(unless the date is a holiday). Across a DST change that is exactly what a clock on the office wall
shows: an interval starting in the skipped hour starts when the clocks jump, an interval in the
repeated hour counts twice. Arithmetic walks whole intervals (never minutes), so a target spanning
weeks costs a few dozen steps; each day's intervals are worked out once per calendar object.

Instants are handled as integer microseconds since the epoch, so results are exact.
"""

from bisect import bisect_right
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_US = 1_000_000
_DAY_CACHE_MAX = 8192
# A calendar with hours but only holidays for this long has no business time to give.
MAX_IDLE_DAYS = 3 * 366


def _to_us(moment):
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; SLA arithmetic takes aware times")
    return (moment - EPOCH) // timedelta(microseconds=1)


def _from_us(us):
    return EPOCH + timedelta(microseconds=us)


def parse_minutes(text):
    """'09:30' → 570; '24:00' (the end of a day) → 1440."""
    hours, _, minutes = str(text).partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 1440:
        raise ValueError(f"{text!r} is not a time of day")
    return value


class ElapsedTime:
    """Calendar (wall) time: every second counts. Also what a missing calendar means (24/7 UTC)."""

    timezone = "UTC"

    def add(self, start, seconds):
        return start + timedelta(seconds=max(0, seconds))

    def seconds_between(self, start, end):
        return max(0.0, (end - start).total_seconds())

    def __repr__(self):
        return "<ElapsedTime>"


ELAPSED = ElapsedTime()


class Calendar:
    """Working hours in one time zone, with holidays.

    `hours`: {"0": [["09:00", "17:00"]], …} (Monday = 0; "24:00" ends a day); `holidays`:
    (start_date, end_date) pairs, inclusive, in the calendar's local dates.
    """

    def __init__(self, timezone="UTC", hours=None, holidays=()):
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)
        hours = hours or {}
        self.week = tuple(
            tuple(sorted((parse_minutes(a), parse_minutes(b)) for a, b in (hours.get(str(d)) or hours.get(d) or ())
                         if parse_minutes(b) > parse_minutes(a)))
            for d in range(7)
        )
        ranges = sorted((start, end) for start, end in holidays if end >= start)
        self._holiday_starts = [start.toordinal() for start, _ in ranges]
        self._holiday_ends = [end.toordinal() for _, end in ranges]
        # Running maximum of the ends, so one bisect answers "is this day inside any range".
        self._holiday_reach = []
        reach = -1
        for end in self._holiday_ends:
            reach = max(reach, end)
            self._holiday_reach.append(reach)
        self.has_hours = any(self.week)
        self._days = {}

    def __repr__(self):
        return f"<Calendar {self.timezone}>"

    # --- public arithmetic -----------------------------------------------------------------------

    def add(self, start, seconds):
        """The instant after `seconds` of business time from `start` (aware UTC)."""
        if seconds <= 0:
            return start
        t = _to_us(start)
        remaining = round(seconds * _US)
        for s, e in self._intervals_from(t):
            s = max(s, t)
            if remaining <= e - s:
                return _from_us(s + remaining)
            remaining -= e - s
        raise AssertionError("unreachable")  # _intervals_from never ends without business time

    def seconds_between(self, start, end):
        """Business seconds in [start, end) (0 when end is not after start)."""
        t0, t1 = _to_us(start), _to_us(end)
        if t1 <= t0:
            return 0.0
        total = 0
        for s, e in self._intervals_from(t0):
            if s >= t1:
                break
            total += min(e, t1) - max(s, t0)
        return total / _US

    def is_business_time(self, moment):
        t = _to_us(moment)
        for s, e in self._intervals_from(t):
            return s <= t
        return False

    # --- days ----------------------------------------------------------------------------------

    def _is_holiday(self, ordinal):
        i = bisect_right(self._holiday_starts, ordinal)
        return i > 0 and self._holiday_reach[i - 1] >= ordinal

    def _intervals_from(self, t):
        """Business intervals (µs) ending after `t`, in order, from the local day of `t` on."""
        if not self.has_hours:
            raise ValueError("this calendar has no business hours")
        # One day back: near a DST change the previous local day may still reach past `t`.
        ordinal = datetime.fromtimestamp(t // _US, self.zone).date().toordinal() - 1
        idle = 0
        while True:
            spans = self._day(ordinal)
            if spans:
                idle = 0
                for s, e in spans:
                    if e > t:
                        yield s, e
            else:
                idle += 1
                if idle > MAX_IDLE_DAYS:
                    raise ValueError("this calendar has no business hours for years (holidays cover them)")
            ordinal += 1

    def _day(self, ordinal):
        spans = self._days.get(ordinal)
        if spans is None:
            if len(self._days) >= _DAY_CACHE_MAX:
                self._days.clear()
            spans = self._days[ordinal] = self._compute_day(ordinal)
        return spans

    def _compute_day(self, ordinal):
        day = date.fromordinal(ordinal)
        intervals = self.week[day.weekday()]
        if not intervals or self._is_holiday(ordinal):
            return ()
        midnight = datetime.combine(day, time())
        spans = []
        for a, b in intervals:
            spans.extend(self._local_span(midnight + timedelta(minutes=a), midnight + timedelta(minutes=b)))
        spans.sort()
        merged = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return tuple((s * _US, e * _US) for s, e in merged)

    def _offset(self, seconds):
        return int(datetime.fromtimestamp(seconds, self.zone).utcoffset().total_seconds())

    def _local_span(self, wall_start, wall_end):
        """UTC seconds [s, e) whose local wall time lies in [wall_start, wall_end).

        The offset is constant on each side of a DST change, so each side maps back by subtracting
        its offset; a skipped start becomes the jump, a repeated hour yields two pieces.
        """
        a = int((wall_start - _NAIVE_EPOCH).total_seconds())
        b = int((wall_end - _NAIVE_EPOCH).total_seconds())
        offsets = [
            int(w.replace(tzinfo=self.zone, fold=fold).utcoffset().total_seconds())
            for w in (wall_start, wall_end) for fold in (0, 1)
        ]
        lo, hi = a - max(offsets), b - min(offsets)
        off_lo, off_hi = self._offset(lo), self._offset(hi)
        if off_lo == off_hi:
            pieces = [(lo, hi + 1, off_lo)]
        else:
            left, right = lo, hi  # offset(left) == off_lo, offset(right) != off_lo
            while right - left > 1:
                mid = (left + right) // 2
                if self._offset(mid) == off_lo:
                    left = mid
                else:
                    right = mid
            pieces = [(lo, right, off_lo), (right, hi + 1, off_hi)]
        out = []
        for p0, p1, off in pieces:
            s, e = max(p0, a - off), min(p1, b - off)
            if s < e:
                out.append((s, e))
        return out


@lru_cache(maxsize=256)
def _compiled(timezone, hours_key, holidays_key):
    hours = {day: [list(iv) for iv in intervals] for day, intervals in hours_key}
    return Calendar(timezone, hours, holidays_key)


def compile_calendar(timezone, hours, holidays=()):
    """A Calendar, shared between calls with the same definition (its day cache is reused)."""
    hours_key = tuple(sorted((str(day), tuple(tuple(iv) for iv in intervals or ()))
                             for day, intervals in (hours or {}).items()))
    holidays_key = tuple(sorted((start, end) for start, end in holidays))
    return _compiled(timezone, hours_key, holidays_key)


def calendar_from_model(model):
    """The arithmetic for a BusinessCalendar row (None → 24/7 UTC)."""
    if model is None:
        return ELAPSED
    calendar = compile_calendar(model.timezone, model.hours,
                                [(h.start_date, h.end_date) for h in model.holidays])
    return calendar if calendar.has_hours else ELAPSED


def clock_time(calendar, business_hours):
    """The arithmetic one clock runs on: its calendar for business-hours targets, else elapsed time."""
    return calendar if business_hours else ELAPSED


def calendar_for_ticket(ticket):
    """The ticket's group's calendar, else the default calendar, else 24/7 UTC."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.sla import BusinessCalendar

    model = ticket.group.calendar if ticket.group is not None and ticket.group.calendar_id else None
    if model is None:
        model = db.session.scalar(
            select(BusinessCalendar).where(BusinessCalendar.is_default.is_(True)).order_by(BusinessCalendar.id).limit(1)
        )
    return calendar_from_model(model)
