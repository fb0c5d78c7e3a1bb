"""Playbook scheduling rules: pure functions, no Flask, no database; `now` is always passed in."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DELAY_DAYS = 3650

# Steps that wait for a person once they come due (an e-mail only when it is held for review).
PERSON_KINDS = ("call", "task", "kb_article")
FINISHED_STEP_STATES = ("done", "skipped")


class ScheduleError(ValueError):
    """A step or playbook setting that cannot be scheduled (shown to the user)."""


def delay_minutes(days=0, hours=0):
    """Minutes from enrolment for a delay given in days and hours; negative or absurd → error."""
    try:
        days, hours = int(days or 0), int(hours or 0)
    except (TypeError, ValueError):
        raise ScheduleError("The delay must be whole days and hours.") from None
    if days < 0 or hours < 0:
        raise ScheduleError("A step's delay cannot be negative: steps run after enrolment, never before.")
    total = days * 24 * 60 + hours * 60
    if total > MAX_DELAY_DAYS * 24 * 60:
        raise ScheduleError(f"A step's delay can be at most {MAX_DELAY_DAYS} days.")
    return total


def split_delay(minutes):
    """(days, hours) for showing a stored delay."""
    return minutes // (24 * 60), (minutes % (24 * 60)) // 60


def step_due_at(enrolled_at, delay, paused_minutes=0):
    return enrolled_at + timedelta(minutes=delay + paused_minutes)


@dataclass(frozen=True)
class StepPlan:
    position: int
    kind: str
    delay_minutes: int
    hold_for_review: bool = False
    key: int | None = None  # what `states` is keyed by (the step's id); the position when None

    @property
    def ident(self):
        return self.position if self.key is None else self.key

    @property
    def waits_for_person(self):
        return self.kind in PERSON_KINDS or (self.kind == "email" and self.hold_for_review)


@dataclass
class Advance:
    """What the run must do now: start these steps (in order); look again at `next_due_at`."""

    start: list = field(default_factory=list)   # [(StepPlan, due_at)]
    next_due_at: datetime | None = None
    finished: bool = False
    blocked_on: int | None = None               # ident of the step a person has to finish


def plan_advance(steps, states, *, status, enrolled_at, paused_minutes, now):
    """Walk the steps in order.

    `states` maps a step's `ident` to the state of the step already started (open, held, done, skipped).
    A step starts when its delay has passed and every earlier step is finished; a step that waits
    for a person (call, task, KB article, held e-mail) blocks the steps after it until it is done.
    Wait steps and e-mails sent straight away finish as they start.
    """
    result = Advance()
    if status != "active":
        return result
    for step in sorted(steps, key=lambda s: s.position):
        state = states.get(step.ident)
        if state in FINISHED_STEP_STATES:
            continue
        if state is not None:  # open or held: a person has it
            result.blocked_on = step.ident
            return result
        due = step_due_at(enrolled_at, step.delay_minutes, paused_minutes)
        if due > now:
            result.next_due_at = due
            return result
        result.start.append((step, due))
        if step.waits_for_person:
            result.blocked_on = step.ident
            return result
    result.finished = True
    return result


def pause_shift_minutes(paused_at, resumed_at):
    """Whole minutes a pause lasted (rounded up, so nothing resumes a minute early)."""
    seconds = max(0.0, (resumed_at - paused_at).total_seconds())
    return int(-(-seconds // 60))


def round_robin_pick(member_ids, last_id):
    """The member after `last_id` in a stable order (the first when none or unknown)."""
    members = sorted(set(member_ids))
    if not members:
        return None
    if last_id in members:
        return members[(members.index(last_id) + 1) % len(members)]
    return members[0]


def resolve_owner(rule, *, account_owner_id=None, named_user_id=None, group_member_ids=(), last_id=None,
                  fallback_id=None):
    """(owner id, new round-robin cursor) for a step's owner rule."""
    if rule == "account_csm":
        return (account_owner_id or fallback_id), last_id
    if rule == "user":
        return (named_user_id or fallback_id), last_id
    if rule == "round_robin":
        pick = round_robin_pick(group_member_ids, last_id)
        return (pick or fallback_id), (pick if pick is not None else last_id)
    raise ScheduleError(f"Unknown owner rule {rule!r}.")


ON_TIME_GRACE = timedelta(days=1)


def completed_on_time(due_at, completed_at, grace=ON_TIME_GRACE):
    """Done within a day of coming due (a task is due on a day, not at a minute)."""
    return completed_at is not None and completed_at <= due_at + grace


def reenrolment_blocked(previous, *, now, reenrol_days, max_runs):
    """A reason why the account may not be enrolled again, or None.

    `previous`: the enrolment times of the account's earlier runs of this playbook.
    """
    if max_runs and len(previous) >= max_runs:
        return "max_runs"
    if previous and reenrol_days and max(previous) > now - timedelta(days=reenrol_days):
        return "too_soon"
    return None


def objective_met(objective, *, now, enrolled_at, days=30, last_topic_ticket_at=None, health_band=None,
                  renewal_at_enrolment=None, renewal_now=None, stage=None):
    """Whether the signal that started a run has recovered."""
    if objective == "no_topic_tickets":
        quiet_since = max(enrolled_at, last_topic_ticket_at or enrolled_at)
        return now >= quiet_since + timedelta(days=days)
    if objective == "healthy":
        return health_band == "healthy"
    if objective == "renewed":
        if stage == "churned" or renewal_now is None:
            return False
        return renewal_at_enrolment is None or renewal_now > renewal_at_enrolment
    return False


def at_risk_accounts(affected_ids, accounts):
    """Accounts sharing a plan or a segment tag with an affected one, not affected themselves.

    `accounts`: {id: (plan, tags)} for the accounts to consider (churned ones left out by the caller).
    """
    affected_ids = set(affected_ids)
    plans, tags = set(), set()
    for org_id in affected_ids:
        plan, org_tags = accounts.get(org_id, (None, ()))
        if plan:
            plans.add(plan)
        tags.update(org_tags or ())
    return sorted(
        org_id for org_id, (plan, org_tags) in accounts.items()
        if org_id not in affected_ids and ((plan and plan in plans) or tags.intersection(org_tags or ()))
    )


def day_bounds(now, tz_name):
    """Start and end (UTC-aware) of the viewer's current day."""
    try:
        tz = ZoneInfo(tz_name or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    local = now.astimezone(tz)
    start = datetime.combine(local.date(), time(0), tz)
    return start.astimezone(now.tzinfo), (start + timedelta(days=1)).astimezone(now.tzinfo)


def bucket_tasks(tasks, now, tz_name="UTC"):
    """{"overdue", "today", "upcoming"} of open tasks by `due_at`, each oldest first."""
    _, end_of_day = day_bounds(now, tz_name)
    buckets = {"overdue": [], "today": [], "upcoming": []}
    for task in sorted(tasks, key=lambda t: (t.due_at, t.id)):
        if task.due_at < now:
            buckets["overdue"].append(task)
        elif task.due_at < end_of_day:
            buckets["today"].append(task)
        else:
            buckets["upcoming"].append(task)
    return buckets
