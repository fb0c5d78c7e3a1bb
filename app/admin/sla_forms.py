"""Forms for business calendars and SLA policies: coercion only; app/support/sla/config.py validates."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.i18n import PRIORITY_LABELS, STATUS_LABELS
from app.models.sla import METRICS
from app.support.rules import CHANNELS, PRIORITY_NAMES
from app.support.sla.config import (
    DEFAULT_WARN_MINUTES, METRIC_LABELS, PAUSABLE_STATUSES, PRIORITY_VALUES, WEEKDAY_LABELS, WEEKDAYS,
    format_duration, holidays_text, timezone_choices,
)


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def _words(text):
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- calendars ---------------------------------------------------------------------------------

class CalendarForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    # Any text goes through: config.validate_timezone says clearly what is wrong with it.
    timezone = SelectField(_l("Time zone"), default="UTC", validate_choice=False)
    is_default = BooleanField(_l("Default calendar (for groups without a calendar of their own)"))
    holidays = TextAreaField(
        _l("Holidays"), validators=[Length(max=50_000)],
        description=_l("One a line: a date (2026-12-25 Christmas) or a range (2026-12-24 .. 2026-12-31 Winter break)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(z, z) for z in timezone_choices()]

    def day_fields(self):
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    def hours(self):
        """{weekday: text} for config.parse_day_intervals."""
        return {day: self[f"hours_{day}"].data or "" for day in WEEKDAYS}

    def load(self, calendar):
        self.name.data, self.timezone.data, self.is_default.data = calendar.name, calendar.timezone, calendar.is_default
        for day in WEEKDAYS:
            intervals = (calendar.hours or {}).get(str(day)) or []
            self[f"hours_{day}"].data = ", ".join(f"{a}-{b}" for a, b in intervals)
        self.holidays.data = holidays_text(calendar)


for _day in WEEKDAYS:
    setattr(CalendarForm, f"hours_{_day}", StringField(
        WEEKDAY_LABELS[_day], validators=[Optional(), Length(max=500)],
        description=_l("Intervals such as 09:00-12:00, 13:00-17:00; 24:00 ends a day; empty means closed."),
    ))


class GroupCalendarsForm(FlaskForm):
    """One select per group; its fields are made per request (calendar_<group id>)."""


# --- policies ----------------------------------------------------------------------------------

def priority_choices():
    return [SelectChoice(str(p), PRIORITY_LABELS[PRIORITY_NAMES[p]]) for p in PRIORITY_VALUES]


class PolicyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    active = BooleanField(_l("Active"), default=True)
    warn_minutes = StringField(
        _l("Warn before a breach (minutes)"), default=str(DEFAULT_WARN_MINUTES), validators=[Length(max=10)],
        description=_l("The assignee is warned this long before a target is missed; 0 turns warnings off."),
    )
    priorities = MultiCheckboxField(_l("Priorities"), coerce=int, choices=priority_choices, validate_choice=False)
    channels = MultiCheckboxField(_l("Channels"), choices=[SelectChoice(c, c) for c in CHANNELS], validate_choice=False)
    group_ids = MultiCheckboxField(_l("Groups"), coerce=int, choices=[], validate_choice=False)
    plans = StringField(_l("Organization plans"), validators=[Length(max=2000)],
                        description=_l("Separated by commas, e.g. Enterprise, Business."))
    segment_tags = StringField(_l("Organization segment tags"), validators=[Length(max=2000)],
                               description=_l("Separated by commas, e.g. enterprise, emea."))
    tags = StringField(_l("Ticket tags"), validators=[Length(max=2000)],
                       description=_l("Separated by commas; a ticket with any of them matches."))
    notify_assignee = BooleanField(_l("Notify the assignee"), default=True)
    notify_group = BooleanField(_l("Notify the group's members"), default=True)
    raise_priority = BooleanField(_l("Raise the priority by one step"))
    reassign_group_id = SelectField(_l("Reassign to a group"), coerce=_optional_int, choices=[],
                                    validate_choice=False)

    def target_cells(self):
        """[(metric, [(priority, minutes field, business-hours field)])] in display order."""
        return [(m, [(p, self[f"target_{m}_{p}"], self[f"business_{m}_{p}"]) for p in PRIORITY_VALUES])
                for m in METRICS]

    def targets(self):
        """Filled-in cells as (metric, priority, text, business_hours) for config.validate_targets."""
        return [(m, p, field.data.strip(), business.data)
                for m, cells in self.target_cells() for p, field, business in cells if (field.data or "").strip()]

    def pause_fields(self):
        return [(m, self[f"pause_{m}"]) for m in METRICS]

    def conditions(self):
        return {"priorities": self.priorities.data or [], "channels": self.channels.data or [],
                "group_ids": self.group_ids.data or [], "plans": _words(self.plans.data),
                "segment_tags": _words(self.segment_tags.data), "tags": _words(self.tags.data)}

    def pause_statuses(self):
        return {m: field.data or [] for m, field in self.pause_fields()}

    def escalation(self):
        return {"notify_assignee": self.notify_assignee.data, "notify_group": self.notify_group.data,
                "raise_priority": self.raise_priority.data, "reassign_group_id": self.reassign_group_id.data}

    def load(self, policy):
        self.name.data, self.active.data, self.warn_minutes.data = policy.name, policy.active, str(policy.warn_minutes)
        conditions = policy.conditions or {}
        self.priorities.data = list(conditions.get("priorities") or [])
        self.channels.data = list(conditions.get("channels") or [])
        self.group_ids.data = list(conditions.get("group_ids") or [])
        self.plans.data = ", ".join(conditions.get("plans") or [])
        self.segment_tags.data = ", ".join(conditions.get("segment_tags") or [])
        self.tags.data = ", ".join(conditions.get("tags") or [])
        for metric, cells in self.target_cells():
            for _priority, field, business in cells:
                field.data, business.data = "", True
        for target in policy.targets:
            if target.metric in METRICS and target.priority in PRIORITY_VALUES:
                self[f"target_{target.metric}_{target.priority}"].data = format_duration(target.minutes)
                self[f"business_{target.metric}_{target.priority}"].data = target.business_hours
        for metric, field in self.pause_fields():
            field.data = list((policy.pause_statuses or {}).get(metric) or [])
        escalation = policy.escalation or {}
        self.notify_assignee.data = bool(escalation.get("notify_assignee"))
        self.notify_group.data = bool(escalation.get("notify_group"))
        self.raise_priority.data = bool(escalation.get("raise_priority"))
        self.reassign_group_id.data = escalation.get("reassign_group_id")


for _metric in METRICS:
    for _priority in PRIORITY_VALUES:
        _where = _l("%(metric)s, %(priority)s", metric=METRIC_LABELS[_metric],
                    priority=PRIORITY_LABELS[PRIORITY_NAMES[_priority]])
        setattr(PolicyForm, f"target_{_metric}_{_priority}", StringField(_where, validators=[Length(max=12)]))
        setattr(PolicyForm, f"business_{_metric}_{_priority}", BooleanField(_l("business hours"), default=True))
    # Unknown statuses reach config.validate_pause_statuses, which names them.
    setattr(PolicyForm, f"pause_{_metric}", MultiCheckboxField(
        METRIC_LABELS[_metric], choices=[SelectChoice(s, STATUS_LABELS[s]) for s in PAUSABLE_STATUSES],
        validate_choice=False,
    ))


class MoveForm(FlaskForm):
    direction = SelectField(choices=[SelectChoice("up", _l("Up")), SelectChoice("down", _l("Down"))])
