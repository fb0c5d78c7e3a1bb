"""SLA configuration: business calendars and policies.

The parse_*/validate_* functions are pure (no database) and raise DomainError with the form field
at fault. The save/move/delete use cases check everything before the first change, flush and never
commit, and ask for the open tickets' clocks to be recomputed (a job, run after the commit).
"""

import re
from datetime import date
from zoneinfo import available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError
from app.extensions import db
from app.i18n import PRIORITY_LABELS
from app.jobs import enqueue, job
from app.models import Group
from app.models.base import utcnow
from app.models.sla import METRICS, BusinessCalendar, CalendarHoliday, SlaPolicy, SlaTarget
from app.support import rules as support_rules
from app.support.sla import rules as engine_rules

WEEKDAYS = tuple(range(7))  # Monday = 0, as in BusinessCalendar.hours
WEEKDAY_LABELS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                  _l("Saturday"), _l("Sunday"))
METRIC_LABELS = {
    "first_reply": _l("First reply"),
    "next_reply": _l("Next reply"),
    "resolution": _l("Resolution"),
    "periodic_update": _l("Periodic update"),
}
PRIORITY_VALUES = tuple(sorted(support_rules.PRIORITY_NAMES))  # 1..4, low..urgent
# Only the waiting statuses may stop a clock; new and open are when work is owed.
PAUSABLE_STATUSES = ("pending", "on_hold")
# The engine's defaults (pending pauses every clock, on hold only resolution), as a new form shows them.
DEFAULT_PAUSE_STATUSES = {metric: list(statuses) for metric, statuses in engine_rules.DEFAULT_PAUSE_STATUSES.items()}
DEFAULT_ESCALATION = {"notify_assignee": True, "notify_group": True, "raise_priority": False,
                      "reassign_group_id": None}
DEFAULT_WARN_MINUTES = 15
MAX_WARN_MINUTES = 7 * 24 * 60
MAX_TARGET_MINUTES = 366 * 24 * 60
HOLIDAY_YEARS = (2000, 2100)
MAX_HOLIDAY_DAYS = 366
MAX_HOLIDAYS = 500
MAX_INTERVALS_PER_DAY = 12
MAX_LIST_ITEMS = 50
NAME_MAX = 100

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_INTERVAL_SPLIT = re.compile(r"\s*(?:-|–|—|to)\s*")
_DURATION = re.compile(r"^(\d{1,6})(?::(\d{2}))?$")
_HOLIDAY = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:\.\.|–|—|\s-\s|\sto\s)\s*(\d{4}-\d{1,2}-\d{1,2}))?(?:\s+(.*))?$"
)


# --- calendars: parsing and validation (pure) -------------------------------------------------

def timezone_choices():
    return sorted(available_timezones())


def validate_timezone(name):
    name = (name or "").strip()
    if name not in available_timezones():
        raise DomainError(_("%(zone)r is not a known time zone; choose one such as Europe/Berlin.",
                            zone=name), field="timezone")
    return name


def parse_clock(text, field=None, allow_24=False):
    """'9:05' → 545 minutes after midnight. '24:00' only ends an interval."""
    match = _CLOCK.match((text or "").strip())
    if not match:
        raise DomainError(_("%(time)r is not a time of day such as 09:00.", time=text), field=field)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise DomainError(_("%(time)r is not a time of day such as 09:00.", time=text), field=field)
    return hours * 60 + minutes


def _clock_text(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def validate_day_intervals(intervals, field=None):
    """[(start, end), …] as 'HH:MM' strings → sorted [["09:00", "12:00"], …]; refuses an end not after
    its start and intervals that overlap (touching ones are fine)."""
    parsed = []
    for start, end in intervals:
        lo, hi = parse_clock(start, field), parse_clock(end, field, allow_24=True)
        if hi <= lo:
            raise DomainError(_("%(start)s–%(end)s ends before it starts.", start=start, end=end), field=field)
        parsed.append((lo, hi))
    if len(parsed) > MAX_INTERVALS_PER_DAY:
        raise DomainError(_("At most %(n)d intervals a day.", n=MAX_INTERVALS_PER_DAY), field=field)
    parsed.sort()
    for (lo1, hi1), (lo2, hi2) in zip(parsed, parsed[1:]):
        if lo2 < hi1:
            raise DomainError(_("%(a)s and %(b)s overlap.", a=f"{_clock_text(lo1)}–{_clock_text(hi1)}",
                                b=f"{_clock_text(lo2)}–{_clock_text(hi2)}"), field=field)
    return [[_clock_text(lo), _clock_text(hi)] for lo, hi in parsed]


def parse_day_intervals(text, field=None):
    """'09:00-12:00, 13:00-17:30' → [["09:00", "12:00"], ["13:00", "17:30"]]; empty means closed."""
    intervals = []
    for part in re.split(r"[,;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        bounds = _INTERVAL_SPLIT.split(part)
        if len(bounds) != 2:
            raise DomainError(_("%(part)r is not an interval such as 09:00-17:00.", part=part), field=field)
        intervals.append((bounds[0], bounds[1]))
    return validate_day_intervals(intervals, field)


def validate_hours(hours):
    """{weekday: [(start, end), …]} (weekday 0-6 or '0'-'6') → the stored {"0": [[…]], … "6": []}."""
    clean = {str(day): [] for day in WEEKDAYS}
    for day, intervals in (hours or {}).items():
        if str(day) not in clean:
            raise DomainError(_("Unknown weekday %(day)r.", day=day), field="hours")
        clean[str(day)] = validate_day_intervals(intervals, field=f"hours_{day}")
    if not any(clean.values()):
        # The engine would count such a calendar as 24/7, which is not what an empty week says.
        raise DomainError(_("Give the calendar working hours on at least one day."), field="hours_0")
    return clean


def parse_holidays(text):
    """One holiday a line: '2026-12-25 Christmas' or '2026-12-24 .. 2026-12-31 Winter break'."""
    holidays = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = _HOLIDAY.match(line)
        if not match:
            raise DomainError(_("Line %(n)d: %(line)r is not a date (YYYY-MM-DD) or a range "
                                "(YYYY-MM-DD .. YYYY-MM-DD) followed by a name.", n=number, line=line),
                              field="holidays")
        start = _parse_date(match.group(1), number)
        end = _parse_date(match.group(2), number) if match.group(2) else start
        holidays.append((start, end, (match.group(3) or "").strip()))
    return validate_holidays(holidays)


def _parse_date(text, number):
    try:
        return date.fromisoformat("-".join(f"{int(p):02d}" for p in text.split("-")))
    except ValueError:
        raise DomainError(_("Line %(n)d: %(date)r is not a date.", n=number, date=text), field="holidays") from None


def validate_holidays(holidays):
    """[(start, end, name)] with inclusive dates → sorted, each checked."""
    first, last = HOLIDAY_YEARS
    clean = []
    for start, end, name in holidays:
        label = name or start.isoformat()
        if end < start:
            raise DomainError(_("The holiday %(name)s ends (%(end)s) before it starts (%(start)s).",
                                name=label, start=start.isoformat(), end=end.isoformat()), field="holidays")
        if not (first <= start.year <= last and first <= end.year <= last):
            raise DomainError(_("The holiday %(name)s is outside the years %(first)d–%(last)d.",
                                name=label, first=first, last=last), field="holidays")
        if (end - start).days >= MAX_HOLIDAY_DAYS:
            raise DomainError(_("The holiday %(name)s is longer than a year.", name=label), field="holidays")
        name = (name or "").strip()
        if len(name) > NAME_MAX:
            raise DomainError(_("The holiday name %(name)r is too long (at most %(n)d characters).",
                                name=name[:20] + "…", n=NAME_MAX), field="holidays")
        clean.append((start, end, name))
    if len(clean) > MAX_HOLIDAYS:
        raise DomainError(_("At most %(n)d holidays a calendar.", n=MAX_HOLIDAYS), field="holidays")
    return sorted(clean)


def holidays_text(calendar):
    """The holidays as the form shows them, one a line."""
    lines = []
    for h in calendar.holidays:
        span = h.start_date.isoformat() if h.end_date == h.start_date else (
            f"{h.start_date.isoformat()} .. {h.end_date.isoformat()}")
        lines.append(f"{span} {h.name}".strip())
    return "\n".join(lines)


def _clean_name(name):
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("The name is too long (at most %(n)d characters).", n=NAME_MAX), field="name")
    return name


def _name_taken(model, name, exclude_id):
    query = select(model.id).where(func.lower(model.name) == name.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query) is not None


def _flush_unique(message):
    """Flush in a savepoint: a name taken by a concurrent request becomes a validation error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(message, field="name") from None


# --- calendars: use cases ----------------------------------------------------------------------

def default_calendar():
    return db.session.scalar(select(BusinessCalendar).where(BusinessCalendar.is_default.is_(True)).limit(1))


def save_calendar(calendar, *, name, timezone, hours, holidays=(), is_default=False):
    """Create (`calendar` None) or replace a calendar. `hours` as validate_hours takes it, `holidays`
    as (start, end, name) tuples or the form's text."""
    name = _clean_name(name)
    exclude = calendar.id if calendar is not None else None
    if _name_taken(BusinessCalendar, name, exclude):
        raise DomainError(_("A calendar called %(name)s already exists.", name=name), field="name")
    timezone = validate_timezone(timezone)
    hours = validate_hours(hours)
    holidays = parse_holidays(holidays) if isinstance(holidays, str) else validate_holidays(holidays)
    current_default = default_calendar()
    if calendar is not None and calendar.is_default and not is_default:
        raise DomainError(_("Every installation needs a default calendar: make another calendar the default "
                            "instead."), field="is_default")

    created = calendar is None
    if created:
        calendar = BusinessCalendar()
        db.session.add(calendar)
    calendar.name, calendar.timezone, calendar.hours = name, timezone, hours
    # The first calendar is the default: tickets of groups without a calendar need one.
    calendar.is_default = bool(is_default) or current_default is None or current_default is calendar
    if calendar.is_default and current_default is not None and current_default is not calendar:
        current_default.is_default = False
    calendar.holidays = [CalendarHoliday(start_date=s, end_date=e, name=n) for s, e, n in holidays]
    _flush_unique(_("A calendar called %(name)s already exists.", name=name))
    # A new calendar changes nothing until it is the default or a group's.
    if not created or calendar.is_default:
        request_recompute(calendar_id=calendar.id)
    return calendar


def delete_calendar(calendar):
    if calendar.is_default:
        others = db.session.scalar(select(func.count(BusinessCalendar.id)).where(BusinessCalendar.id != calendar.id))
        if others:
            raise DomainError(_("%(name)s is the default calendar: make another calendar the default before "
                                "deleting it.", name=calendar.name))
    users = db.session.scalars(select(Group).where(Group.calendar_id == calendar.id)).all()
    for group in users:
        group.calendar_id = None
    db.session.delete(calendar)
    db.session.flush()
    if users or calendar.is_default:
        # Those groups' tickets now run on the default calendar (or on none).
        fallback = default_calendar()
        request_recompute(calendar_id=fallback.id if fallback is not None else None)


def assign_group_calendars(assignments):
    """{group_id: calendar_id or None} → the groups whose calendar changed."""
    assignments = dict(assignments)
    groups = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(list(assignments))))}
    wanted = {c for c in assignments.values() if c is not None}
    known = set(db.session.scalars(select(BusinessCalendar.id).where(BusinessCalendar.id.in_(wanted))))
    for group_id, calendar_id in assignments.items():
        if group_id not in groups:
            raise DomainError(_("Group #%(id)s does not exist (any more).", id=group_id))
        if calendar_id is not None and calendar_id not in known:
            raise DomainError(_("Calendar #%(id)s does not exist (any more).", id=calendar_id))
    changed = [groups[gid] for gid, cid in assignments.items() if groups[gid].calendar_id != cid]
    for group in changed:
        group.calendar_id = assignments[group.id]
    db.session.flush()
    fallback = default_calendar()
    for calendar_id in sorted({g.calendar_id or (fallback.id if fallback else 0) for g in changed}):
        request_recompute(calendar_id=calendar_id or None)
    return changed


# --- policies: parsing and validation (pure) ---------------------------------------------------

def parse_duration(text, field=None):
    """Minutes as '90' or hours and minutes as '1:30' → 90. Zero, negative and garbage are refused."""
    raw = str(text if text is not None else "").strip()
    match = _DURATION.match(raw)
    if raw.startswith("-") or (match and int(match.group(1)) == 0 and int(match.group(2) or 0) == 0):
        raise DomainError(_("A target must be more than zero minutes (you entered %(value)s).", value=raw),
                          field=field)
    if not match or (match.group(2) is not None and int(match.group(2)) > 59):
        raise DomainError(_("%(value)r is not a duration: enter minutes (90) or hours and minutes (1:30).",
                            value=raw), field=field)
    minutes = int(match.group(1)) * (60 if match.group(2) is not None else 1) + int(match.group(2) or 0)
    if minutes > MAX_TARGET_MINUTES:
        raise DomainError(_("A target can be at most %(days)d days.", days=MAX_TARGET_MINUTES // 1440), field=field)
    return minutes


def format_duration(minutes):
    """90 → '1:30' (what the form shows back)."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def validate_targets(targets):
    """[(metric, priority, duration, business_hours)] → {(metric, priority): (minutes, business_hours)}.

    A duration is minutes (int) or text for parse_duration. A policy needs at least one target.
    """
    clean = {}
    for metric, priority, duration, business_hours in targets:
        if metric not in METRICS:
            raise DomainError(_("Unknown metric %(metric)r.", metric=metric), field="targets")
        if priority not in PRIORITY_VALUES:
            raise DomainError(_("Unknown priority %(priority)r.", priority=priority), field="targets")
        field = f"target_{metric}_{priority}"
        if isinstance(duration, int) and not isinstance(duration, bool):
            duration = str(duration)
        minutes = parse_duration(duration, field=field)
        if (metric, priority) in clean:
            raise DomainError(_("Two targets for the same metric and priority."), field=field)
        clean[(metric, priority)] = (minutes, bool(business_hours))
    if not clean:
        raise DomainError(_("Give the policy at least one target (a time for some metric and priority)."),
                          field="targets")
    return clean


def _clean_words(values, field, normalize=lambda v: v.strip()):
    clean = []
    for value in values or ():
        value = normalize(str(value))
        if not value:
            continue
        if len(value) > support_rules.TAG_MAX:
            raise DomainError(_("%(value)r is too long (at most %(n)d characters).", value=value[:20] + "…",
                                n=support_rules.TAG_MAX), field=field)
        if value not in clean:
            clean.append(value)
    if len(clean) > MAX_LIST_ITEMS:
        raise DomainError(_("At most %(n)d values.", n=MAX_LIST_ITEMS), field=field)
    return clean


def _ints(values, message, field):
    try:
        return [int(v) for v in values or ()]
    except (TypeError, ValueError):
        raise DomainError(message, field=field) from None


def validate_conditions(conditions, known_group_ids=None):
    """The policy's matching rules; an empty list matches everything. `known_group_ids` (a set)
    checks groups without a query."""
    conditions = dict(conditions or {})
    unknown = set(conditions) - {"priorities", "plans", "segment_tags", "group_ids", "channels", "tags"}
    if unknown:
        raise DomainError(_("Unknown condition %(name)r.", name=sorted(unknown)[0]))
    priorities = sorted(set(_ints(conditions.get("priorities"), _("Unknown priority in the conditions."),
                                  "priorities")))
    if any(p not in PRIORITY_VALUES for p in priorities):
        raise DomainError(_("Unknown priority in the conditions."), field="priorities")
    channels = sorted(set(conditions.get("channels") or ()))
    if any(c not in support_rules.CHANNELS for c in channels):
        raise DomainError(_("Unknown channel in the conditions."), field="channels")
    group_ids = sorted(set(_ints(conditions.get("group_ids"), _("A group in the conditions does not exist (any more)."),
                                 "group_ids")))
    if known_group_ids is not None and set(group_ids) - set(known_group_ids):
        raise DomainError(_("A group in the conditions does not exist (any more)."), field="group_ids")
    return {
        "priorities": priorities,
        "plans": _clean_words(conditions.get("plans"), "plans"),
        "segment_tags": _clean_words(conditions.get("segment_tags"), "segment_tags", support_rules.normalize_tag),
        "group_ids": group_ids,
        "channels": channels,
        "tags": _clean_words(conditions.get("tags"), "tags", support_rules.normalize_tag),
    }


def validate_pause_statuses(pause_statuses):
    """{metric: [status, …]}: which waiting statuses stop which clock."""
    clean = {}
    for metric, statuses in (pause_statuses or {}).items():
        if metric not in METRICS:
            raise DomainError(_("Unknown metric %(metric)r.", metric=metric), field="pause_statuses")
        bad = set(statuses or ()) - set(PAUSABLE_STATUSES)
        if bad:
            raise DomainError(_("Only pending and on hold can pause a clock, not %(status)r.",
                                status=sorted(bad)[0]), field=f"pause_{metric}")
        clean[metric] = [s for s in PAUSABLE_STATUSES if s in (statuses or ())]
    return {metric: clean.get(metric, []) for metric in METRICS}


def validate_escalation(escalation, known_group_ids=None):
    escalation = dict(escalation or {})
    group_id = escalation.get("reassign_group_id")
    message = _("The group to reassign to does not exist (any more).")
    group_id = _ints([group_id], message, "reassign_group_id")[0] if group_id not in (None, "") else None
    if group_id is not None and known_group_ids is not None and group_id not in known_group_ids:
        raise DomainError(_("The group to reassign to does not exist (any more)."), field="reassign_group_id")
    return {
        "notify_assignee": bool(escalation.get("notify_assignee")),
        "notify_group": bool(escalation.get("notify_group")),
        "raise_priority": bool(escalation.get("raise_priority")),
        "reassign_group_id": group_id,
    }


def validate_warn_minutes(value):
    if value is None or value == "":
        return DEFAULT_WARN_MINUTES
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("Enter the warning time in whole minutes."), field="warn_minutes") from None
    if not 0 <= minutes <= MAX_WARN_MINUTES:
        raise DomainError(_("The warning time is from 0 to %(n)d minutes.", n=MAX_WARN_MINUTES),
                          field="warn_minutes")
    return minutes


def describe_conditions(conditions, group_names):
    """[(label, [values])] for the policy list; `group_names` maps ids to names."""
    conditions = conditions or {}
    parts = [
        (_("priority"), [str(PRIORITY_LABELS[support_rules.PRIORITY_NAMES[p]])
                         for p in conditions.get("priorities") or () if p in support_rules.PRIORITY_NAMES]),
        (_("plan"), list(conditions.get("plans") or ())),
        (_("segment"), list(conditions.get("segment_tags") or ())),
        (_("group"), [group_names.get(g, f"#{g}") for g in conditions.get("group_ids") or ()]),
        (_("channel"), list(conditions.get("channels") or ())),
        (_("ticket tag"), list(conditions.get("tags") or ())),
    ]
    return [(label, values) for label, values in parts if values]


# --- policies: use cases -----------------------------------------------------------------------

def policies():
    return db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)).all()


def save_policy(policy, *, name, targets, conditions=None, pause_statuses=None, escalation=None,
                warn_minutes=DEFAULT_WARN_MINUTES, active=True):
    """Create (`policy` None, placed last) or replace a policy; everything is checked first."""
    name = _clean_name(name)
    exclude = policy.id if policy is not None else None
    if _name_taken(SlaPolicy, name, exclude):
        raise DomainError(_("A policy called %(name)s already exists.", name=name), field="name")
    group_ids = set(db.session.scalars(select(Group.id)))
    targets = validate_targets(targets)
    conditions = validate_conditions(conditions, group_ids)
    pause_statuses = validate_pause_statuses(DEFAULT_PAUSE_STATUSES if pause_statuses is None else pause_statuses)
    escalation = validate_escalation(DEFAULT_ESCALATION if escalation is None else escalation, group_ids)
    warn_minutes = validate_warn_minutes(warn_minutes)

    created = policy is None
    matching_before = None if created else (policy.active, policy.conditions)
    if created:
        last = db.session.scalar(select(func.max(SlaPolicy.position)))
        policy = SlaPolicy(position=(last + 1) if last is not None else 0)
        db.session.add(policy)
    policy.name, policy.active, policy.conditions = name, bool(active), conditions
    policy.pause_statuses, policy.escalation, policy.warn_minutes = pause_statuses, escalation, warn_minutes
    _replace_targets(policy, targets)
    _flush_unique(_("A policy called %(name)s already exists.", name=name))
    if created or matching_before != (policy.active, policy.conditions):
        request_recompute()  # which tickets it matches changed: every open ticket is looked at again
    else:
        request_recompute(policy_id=policy.id)
    return policy


def _replace_targets(policy, targets):
    existing = {(t.metric, t.priority): t for t in policy.targets}
    for key, row in existing.items():
        if key not in targets:
            policy.targets.remove(row)
    for (metric, priority), (minutes, business_hours) in sorted(targets.items()):
        row = existing.get((metric, priority))
        if row is None:
            policy.targets.append(SlaTarget(metric=metric, priority=priority, minutes=minutes,
                                            business_hours=business_hours))
        else:
            row.minutes, row.business_hours = minutes, business_hours


def move_policy(policy, direction):
    """Swap with the neighbour above ('up') or below ('down'); positions are renumbered 0..n-1."""
    if direction not in ("up", "down"):
        raise DomainError(_("Move a policy up or down."))
    ordered = policies()
    index = ordered.index(policy)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        row.position = position
    db.session.flush()
    request_recompute()
    return True


def delete_policy(policy):
    db.session.delete(policy)
    db.session.flush()
    for position, row in enumerate(policies()):
        row.position = position
    db.session.flush()
    request_recompute()


def warn_window_seconds(minimum=3600):
    """How long before a due time a ticket counts as due soon: the widest warning window of the
    active policies, and never less than `minimum`."""
    widest = db.session.scalar(select(func.max(SlaPolicy.warn_minutes)).where(SlaPolicy.active.is_(True)))
    return max(minimum, (widest or 0) * 60)


# --- recomputing open tickets after a change -----------------------------------------------------

def request_recompute(policy_id=None, calendar_id=None):
    """Ask for the open tickets' clocks to be recomputed once this transaction commits."""
    return enqueue(recompute_open_tickets_job, policy_id, calendar_id)


@job("sla.recompute_after_config", queue="default")
def recompute_open_tickets_job(policy_id=None, calendar_id=None):
    # The engine owns the clocks; this only hands the change over to it.
    from app.support.sla import services as engine

    recompute = getattr(engine, "recompute_open_tickets", None)
    if recompute is None:
        return None
    return recompute(policy_id=policy_id, calendar_id=calendar_id, now=utcnow())


def example_week_hours():
    """Monday to Friday, 09:00–17:00: what a new calendar starts with."""
    return {str(d): ([["09:00", "17:00"]] if d < 5 else []) for d in WEEKDAYS}
