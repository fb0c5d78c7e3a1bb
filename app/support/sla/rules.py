"""SLA rules: which policy applies, and how ticket events move its clocks. Pure: no Flask, no database.

Clocks are duck-typed (the TicketSlaClock rows, or `ClockState` when history is replayed), so the
live hooks and the replay share one state machine. A clock is `active` (running, `due_at` set),
`paused` (`due_at` None; `used_seconds` holds the time spent so far), `achieved` or `cancelled`.
Business time is measured by the arithmetic `time_for(business_hours)` hands out.
"""

from dataclasses import dataclass, field

METRICS = ("first_reply", "next_reply", "resolution", "periodic_update")
OPEN_STATES = ("active", "paused")
DEFAULT_PAUSE_STATUSES = {
    "first_reply": ("pending",),
    "next_reply": ("pending",),
    "resolution": ("pending", "on_hold"),
    "periodic_update": ("pending",),
}
# No clock runs on a solved ticket (resolution is achieved there); a reopen starts them again.
STOPPED_STATUSES = ("solved", "closed")
CONDITION_KEYS = ("priorities", "plans", "segment_tags", "group_ids", "channels", "tags")


# --- policy selection ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketFacts:
    """What policy conditions look at."""

    priority: int
    channel: str
    group_id: int | None = None
    plan: str | None = None
    segment_tags: frozenset = frozenset()
    tags: frozenset = frozenset()


def _lower(values):
    return {str(v).strip().lower() for v in values or ()}


def policy_matches(conditions, facts):
    """Every non-empty condition must hold; an absent or empty one matches everything."""
    conditions = conditions or {}
    if conditions.get("priorities") and facts.priority not in {int(p) for p in conditions["priorities"]}:
        return False
    if conditions.get("plans") and (facts.plan or "").strip().lower() not in _lower(conditions["plans"]):
        return False
    if conditions.get("segment_tags") and not (_lower(conditions["segment_tags"]) & _lower(facts.segment_tags)):
        return False
    if conditions.get("group_ids") and facts.group_id not in {int(g) for g in conditions["group_ids"]}:
        return False
    if conditions.get("channels") and facts.channel not in set(conditions["channels"]):
        return False
    if conditions.get("tags") and not (_lower(conditions["tags"]) & _lower(facts.tags)):
        return False
    return True


def select_policy(policies, facts):
    """The first active policy (in position order) whose conditions match, or None."""
    for policy in sorted(policies, key=lambda p: (p.position, p.id)):
        if policy.active and policy_matches(policy.conditions, facts):
            return policy
    return None


@dataclass(frozen=True)
class Terms:
    """What one policy asks of a ticket of one priority."""

    policy_id: int | None
    targets: dict  # metric → (minutes, business_hours)
    pause_statuses: dict = field(default_factory=dict)  # metric → statuses (absent: the defaults)
    warn_minutes: int = 15

    def runs(self, metric, status):
        """Whether a `metric` clock runs while the ticket has `status`."""
        if status in STOPPED_STATUSES:
            return False
        pausing = self.pause_statuses.get(metric)
        if pausing is None:
            pausing = DEFAULT_PAUSE_STATUSES.get(metric, ())
        return status not in pausing


def terms_for(policy, priority):
    """The policy's targets for this priority (a policy without any gives no clocks)."""
    if policy is None:
        return None
    targets = {t.metric: (t.minutes, t.business_hours) for t in policy.targets if t.priority == priority}
    return Terms(policy.id, targets, dict(policy.pause_statuses or {}), policy.warn_minutes)


# --- clocks ---------------------------------------------------------------------------------------

@dataclass
class ClockState:
    """A clock outside the database (replayed history)."""

    metric: str
    cycle: int
    target_minutes: int = 0
    business_hours: bool = True
    policy_id: int | None = None
    state: str = "active"
    started_at: object = None
    used_seconds: int = 0
    resumed_at: object = None
    due_at: object = None
    achieved_at: object = None
    breached_at: object = None
    warned_at: object = None
    escalated_at: object = None


CLOCK_FIELDS = ("target_minutes", "business_hours", "policy_id", "state", "started_at", "used_seconds",
                "resumed_at", "due_at", "achieved_at", "breached_at")


def _iso(moment):
    return moment.isoformat() if moment is not None else None


class ClockBook:
    """One ticket's clocks and the state machine that moves them.

    `time_for(business_hours)` gives the arithmetic (calendar or elapsed time); `new_clock(metric,
    cycle)` makes a clock object; every change is appended to `events` as (kind, metric, at, data).
    """

    def __init__(self, clocks, terms, time_for, new_clock=ClockState):
        self.clocks = sorted(clocks, key=lambda c: (c.metric, c.cycle))
        self.terms = terms
        self.time_for = time_for
        self.new_clock = new_clock
        self.events = []

    # --- lookups ---------------------------------------------------------------------------------

    def latest(self, metric):
        found = None
        for clock in self.clocks:
            if clock.metric == metric and (found is None or clock.cycle > found.cycle):
                found = clock
        return found

    def open_clock(self, metric):
        clock = self.latest(metric)
        return clock if clock is not None and clock.state in OPEN_STATES else None

    def ticket_due(self):
        """The nearest due time of running clocks (breached ones included): Ticket.due_at."""
        dues = [c.due_at for c in self.clocks if c.state == "active" and c.due_at is not None]
        return min(dues) if dues else None

    # --- primitive moves ---------------------------------------------------------------------------

    def _event(self, kind, clock, at, **data):
        self.events.append((kind, clock.metric, at, {"cycle": clock.cycle, **data}))

    def _arith(self, clock):
        return self.time_for(clock.business_hours)

    def _remaining(self, clock):
        return max(0, clock.target_minutes * 60 - clock.used_seconds)

    def start(self, metric, started_at, status):
        minutes, business_hours = self.terms.targets[metric]
        latest = self.latest(metric)
        clock = self.new_clock(metric=metric, cycle=(latest.cycle + 1) if latest is not None else 1)
        clock.target_minutes, clock.business_hours = minutes, business_hours
        clock.policy_id = self.terms.policy_id
        clock.started_at, clock.used_seconds = started_at, 0
        clock.achieved_at = clock.breached_at = None
        self.clocks.append(clock)
        if self.terms.runs(metric, status):
            clock.state, clock.resumed_at = "active", started_at
            clock.due_at = self._arith(clock).add(started_at, self._remaining(clock))
        else:
            clock.state, clock.resumed_at, clock.due_at = "paused", None, None
        self._event("activated", clock, started_at, due_at=_iso(clock.due_at), state=clock.state,
                    target_minutes=minutes, business_hours=business_hours)
        return clock

    def _spend(self, clock, at):
        """Count the running stretch since the last resume into used_seconds."""
        if clock.state == "active" and clock.resumed_at is not None:
            spent = self._arith(clock).seconds_between(clock.resumed_at, at)
            clock.used_seconds = int(round(clock.used_seconds + spent))
        clock.resumed_at = None

    def pause(self, clock, at):
        if clock.state != "active":
            return
        self._spend(clock, at)
        clock.state, clock.due_at = "paused", None
        self._event("paused", clock, at, used_seconds=clock.used_seconds)

    def resume(self, clock, at):
        if clock.state == "active":
            return
        clock.state, clock.resumed_at, clock.achieved_at = "active", at, None
        clock.due_at = self._arith(clock).add(at, self._remaining(clock))
        self._event("resumed", clock, at, due_at=_iso(clock.due_at), used_seconds=clock.used_seconds)

    def achieve(self, clock, at):
        if clock.state not in OPEN_STATES:
            return
        self._spend(clock, at)
        clock.state, clock.achieved_at = "achieved", at
        self._event("achieved", clock, at, used_seconds=clock.used_seconds)
        # Answered after the due time but before a sweep noticed: it was breached all the same.
        if clock.due_at is not None and at > clock.due_at and clock.breached_at is None:
            clock.breached_at = clock.due_at
            self._event("breached", clock, clock.due_at, late=True, due_at=_iso(clock.due_at))

    def cancel(self, clock, at, reason):
        if clock.state == "cancelled":
            return
        self._spend(clock, at)
        clock.state, clock.due_at = "cancelled", None
        self._event("cancelled", clock, at, reason=reason)

    def settle(self, clock, status, at):
        """Run or pause `clock` as `status` wants."""
        if self.terms.runs(clock.metric, status):
            self.resume(clock, at)
        else:
            self.pause(clock, at)

    # --- ticket events ---------------------------------------------------------------------------

    def created(self, at, status="new"):
        for metric in ("first_reply", "resolution"):
            if metric in self.terms.targets and self.latest(metric) is None:
                self.start(metric, at, status)

    def message(self, at, *, public, by_agent, status, agent_replied_before=lambda: False):
        """A reply or note was added (after any status change it caused)."""
        if not public:
            return  # internal notes never count
        if by_agent:
            for metric in ("first_reply", "next_reply", "periodic_update"):
                clock = self.open_clock(metric)
                if clock is not None:
                    self.achieve(clock, at)
            if "periodic_update" in self.terms.targets and status not in STOPPED_STATUSES:
                self.start("periodic_update", at, status)
            return
        if "next_reply" not in self.terms.targets or self.open_clock("next_reply") is not None:
            return  # a waiting customer message already started the running cycle
        first = self.latest("first_reply")
        replied = first.achieved_at is not None if first is not None else agent_replied_before()
        if replied:
            self.start("next_reply", at, status)

    def status(self, old, new, at):
        if new == old:
            return
        if new == "closed":
            for clock in list(self.clocks):
                if clock.state in OPEN_STATES:
                    self.cancel(clock, at, "closed")
            return
        if old == "solved" and new not in STOPPED_STATUSES:
            resolution = self.latest("resolution")
            if resolution is not None and resolution.state == "achieved":
                self.resume(resolution, at)  # a reopen: the same clock continues
        for clock in list(self.clocks):
            if clock.state not in OPEN_STATES:
                continue
            if clock.metric == "resolution" and new == "solved":
                self.achieve(clock, at)
            else:
                self.settle(clock, new, at)


# --- replaying history -------------------------------------------------------------------------

@dataclass(frozen=True)
class Happening:
    """One entry of a ticket's history: a status change or a message."""

    at: object
    order: int  # status changes first at equal times (a reply's own status change comes first)
    kind: str  # "status" | "message"
    old: str | None = None
    new: str | None = None
    public: bool = False
    by_agent: bool = False


def replay(created_at, history, terms, time_for, initial_status="new"):
    """The clocks `terms` would have produced over this history (sorted Happenings)."""
    book = ClockBook([], terms, time_for)
    status = initial_status
    book.created(created_at, status)
    agent_replied = False
    for item in sorted(history, key=lambda h: (h.at, h.order)):
        if item.kind == "status":
            book.status(item.old or status, item.new, item.at)
            status = item.new
        else:
            book.message(item.at, public=item.public, by_agent=item.by_agent, status=status,
                         agent_replied_before=lambda: agent_replied)
            agent_replied = agent_replied or (item.public and item.by_agent)
    return book
