"""SLA engine use cases: the hooks the support services call, recomputing, and the API view.

Hooks run inside the caller's transaction (flush, never commit) and write an SlaEvent for every
clock change. Which policy applies is recorded by the latest `policy_applied` event, so a reply
costs a couple of indexed reads: the policy, the ticket's clocks and, when a clock moves, its
calendar. A change of priority, group, tags or policy replays the ticket's history (messages and
status changes) under the policy that applies now and moves the open clocks to what it gives.
"""

import threading
import time
from collections import defaultdict
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.extensions import db
from app.models import Group, Message, SlaEvent, SlaPolicy, SlaTarget, Ticket, TicketEvent, TicketSlaClock, User
from app.models.base import utcnow
from app.models.sla import BusinessCalendar
from app.models.user import STAFF_ROLES
from app.support.sla import rules
from app.support.sla.calendar import ELAPSED, calendar_for_ticket

_CHUNK = 500
_MEMO_KEY = "tandem_sla_books"  # session.info: ticket id → ClockBook, for one transaction
OPEN_TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved")


# --- reading ----------------------------------------------------------------------------------

def ticket_facts(ticket):
    # Relationships, not the *_id columns: a change made through them is not flushed yet.
    org, group = ticket.organization, ticket.group
    return rules.TicketFacts(
        priority=ticket.priority,
        channel=ticket.channel,
        group_id=group.id if group is not None else None,
        plan=org.plan if org is not None else None,
        segment_tags=frozenset(org.segment_tags or ()) if org is not None else frozenset(),
        tags=frozenset(ticket.tag_names),
    )


def active_policies():
    return db.session.scalars(
        select(SlaPolicy).where(SlaPolicy.active.is_(True))
        .options(selectinload(SlaPolicy.targets)).order_by(SlaPolicy.position, SlaPolicy.id)
    ).all()


# --- the active policies, cached per process for new tickets -----------------------------------
#
# Every new ticket needs them and they rarely change. A change flushed in this process drops the
# cache at once; other processes (workers) see it within SLA_POLICY_CACHE_SECONDS (0: no cache).

_cache_lock = threading.Lock()
_cache = {"generation": 0}  # app id → (expires, generation, snapshot); "generation" bumps on change
_CHANGED_KEY = "tandem_sla_policies_changed"


def _snapshot(policy):
    targets = tuple(SimpleNamespace(metric=t.metric, priority=t.priority, minutes=t.minutes,
                                    business_hours=t.business_hours) for t in policy.targets)
    return SimpleNamespace(id=policy.id, name=policy.name, position=policy.position, active=policy.active,
                           conditions=policy.conditions,
                           pause_statuses=policy.pause_statuses, warn_minutes=policy.warn_minutes,
                           targets=targets)


def cached_active_policies():
    """active_policies() as read-only snapshots (what select_policy and terms_for read)."""
    ttl = current_app.config.get("SLA_POLICY_CACHE_SECONDS", 0)
    if not ttl:
        return active_policies()
    key = id(current_app._get_current_object())
    now = time.monotonic()
    entry = _cache.get(key)
    if entry is not None and entry[0] > now and entry[1] == _cache["generation"]:
        return entry[2]
    generation = _cache["generation"]
    snapshot = tuple(_snapshot(p) for p in active_policies())
    with _cache_lock:
        if _cache["generation"] == generation:
            _cache[key] = (now + ttl, generation, snapshot)
    return snapshot


def forget_cached_policies():
    with _cache_lock:
        _cache["generation"] += 1


@event.listens_for(Session, "after_flush")
def _note_policy_changes(session, _flush_context):
    for objects in (session.new, session.dirty, session.deleted):
        if any(isinstance(obj, (SlaPolicy, SlaTarget)) for obj in objects):
            session.info[_CHANGED_KEY] = True
            forget_cached_policies()
            return


@event.listens_for(Session, "after_commit")
def _drop_policies_on_commit(session):
    # Again at the commit: a submission between the flush and the commit may have cached the old rows.
    if session.info.pop(_CHANGED_KEY, None):
        forget_cached_policies()


def policy_for(ticket, policies=None):
    """The policy that applies to the ticket as it is now (None: no SLA)."""
    return rules.select_policy(active_policies() if policies is None else policies, ticket_facts(ticket))


def applied_policy_id(ticket_id):
    """(recorded, policy id) from the latest policy_applied event; (False, None) when none was."""
    data = db.session.scalar(
        select(SlaEvent.data).where(SlaEvent.ticket_id == ticket_id, SlaEvent.kind == "policy_applied")
        .order_by(SlaEvent.id.desc()).limit(1)
    )
    if data is None:
        return False, None
    return True, data.get("policy_id")


def ticket_clocks(ticket_id):
    return db.session.scalars(
        select(TicketSlaClock).where(TicketSlaClock.ticket_id == ticket_id)
        .order_by(TicketSlaClock.metric, TicketSlaClock.cycle)
    ).all()


def ticket_events(ticket_id):
    return db.session.scalars(select(SlaEvent).where(SlaEvent.ticket_id == ticket_id).order_by(SlaEvent.id)).all()


def _time_for(ticket):
    """Clock arithmetic for this ticket; the calendar is looked up once, and only when needed."""
    memo = {}

    def time_for(business_hours):
        if not business_hours:
            return ELAPSED
        if "calendar" not in memo:
            memo["calendar"] = calendar_for_ticket(ticket)
        return memo["calendar"]

    return time_for


def _new_clock(ticket_id):
    def make(metric, cycle):
        clock = TicketSlaClock(ticket_id=ticket_id, metric=metric, cycle=cycle)
        db.session.add(clock)
        return clock

    return make


def _book(ticket, clocks, terms):
    return rules.ClockBook(clocks, terms, _time_for(ticket), _new_clock(ticket.id))


def _write_events(rows):
    # Straight to the connection: append-only rows need no unit of work (and no autoflush).
    if rows:
        db.session.connection().execute(insert(SlaEvent.__table__), rows)


def _record(ticket_id, metric, kind, at, data):
    _write_events([{"ticket_id": ticket_id, "metric": metric, "kind": kind, "at": at, "data": data}])


def _persist(ticket, book):
    _write_events([{"ticket_id": ticket.id, "metric": metric, "kind": kind, "at": at, "data": data}
                   for kind, metric, at, data in book.events])
    book.events = []
    if not book.clocks:
        return  # the engine never ran a clock here: due_at is not its to change
    due = book.ticket_due()
    if ticket.due_at != due:
        ticket.due_at = due


def _memo():
    return db.session.info.setdefault(_MEMO_KEY, {})


@event.listens_for(Session, "after_transaction_end")
def _forget_books(session, transaction):
    # Any end, savepoints included: a rolled-back savepoint may have taken clocks with it.
    session.info.pop(_MEMO_KEY, None)


def _policy(policy_id):
    return db.session.get(SlaPolicy, policy_id, options=[joinedload(SlaPolicy.targets)])


def _current_book(ticket):
    """The ticket's clocks under the policy that applies, or None when none does.

    Open clocks carry the current policy (a recompute moves them all), so the policy event is read
    only when nothing runs. The book is kept for the rest of the transaction: a reply that also
    changes the status reads the clocks once.
    """
    book = _memo().get(ticket.id)
    if book is not None and book.priority == ticket.priority:
        return book
    # Clocks and events written in this transaction are in the memo, so these reads need not flush
    # the caller's pending changes (which would cost the ticket a second UPDATE for due_at).
    with db.session.no_autoflush:
        clocks = ticket_clocks(ticket.id)
        policy_id = next((c.policy_id for c in clocks if c.state in rules.OPEN_STATES and c.policy_id is not None),
                         None)
        if policy_id is None:
            recorded, policy_id = applied_policy_id(ticket.id)
            if not recorded or policy_id is None:
                return None
        policy = _policy(policy_id)
    if policy is None:
        return None  # deleted: the recompute job it asked for moves the ticket on
    return _remember(ticket, _book(ticket, clocks, rules.terms_for(policy, ticket.priority)))


def _remember(ticket, book):
    book.priority = ticket.priority
    _memo()[ticket.id] = book
    return book


def _agent_replied_before(ticket_id, message_id):
    return db.session.scalar(
        select(Message.id).join(User, Message.author_id == User.id)
        .where(Message.ticket_id == ticket_id, Message.id < message_id, Message.public.is_(True),
               User.role.in_(STAFF_ROLES)).limit(1)
    ) is not None


# --- hooks (called by app.support.services) ---------------------------------------------------

def ticket_created(ticket, now=None):
    """Pick the policy and start first reply and resolution from the ticket's creation."""
    policy = policy_for(ticket, cached_active_policies())
    if policy is None:
        return
    _record(ticket.id, None, "policy_applied", ticket.created_at, {"policy_id": policy.id, "name": policy.name})
    book = _remember(ticket, _book(ticket, [], rules.terms_for(policy, ticket.priority)))
    book.created(ticket.created_at, ticket.status)
    _persist(ticket, book)


def message_added(ticket, message, now=None):
    """A public agent reply achieves reply clocks; a waiting customer message starts next reply."""
    if not message.public:
        return
    book = _current_book(ticket)
    if book is None:
        return
    author = message.author
    book.message(
        message.created_at, public=True, by_agent=author is not None and author.is_staff, status=ticket.status,
        agent_replied_before=lambda: _agent_replied_before(ticket.id, message.id),
    )
    _persist(ticket, book)


def status_changed(ticket, old, new, now=None):
    """Pause, resume, achieve (solved) or cancel (closed) as the new status wants."""
    book = _current_book(ticket)
    if book is None:
        return
    book.status(old, new, now or utcnow())
    _persist(ticket, book)


def apply_sla(ticket, now=None):
    """Bring the ticket's clocks in line with the policy that applies now (see recompute_ticket)."""
    return recompute_ticket(ticket, now or utcnow())


def fields_changed(ticket, now=None):
    """Priority, group, tags or organization changed: the policy is chosen again and recomputed."""
    recompute_ticket(ticket, now or utcnow())


# --- recomputing --------------------------------------------------------------------------------

def load_histories(ticket_ids):
    """{ticket id: [Happening]}: every message and status change, for replaying."""
    histories = defaultdict(list)
    ids = list(ticket_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for ticket_id, message_id, at, public, role in db.session.execute(
            select(Message.ticket_id, Message.id, Message.created_at, Message.public, User.role)
            .outerjoin(User, Message.author_id == User.id).where(Message.ticket_id.in_(chunk))
        ):
            histories[ticket_id].append(rules.Happening(
                at, (1, message_id), "message", public=bool(public), by_agent=role in STAFF_ROLES))
        for ticket_id, event_id, at, old, new in db.session.execute(
            select(TicketEvent.ticket_id, TicketEvent.id, TicketEvent.created_at, TicketEvent.old_value,
                   TicketEvent.new_value)
            .where(TicketEvent.ticket_id.in_(chunk), TicketEvent.kind == "status")
        ):
            histories[ticket_id].append(rules.Happening(at, (0, event_id), "status", old=old, new=new))
    return histories


def _copy(source, target):
    for name in rules.CLOCK_FIELDS:
        setattr(target, name, getattr(source, name))


def recompute_ticket(ticket, now, *, policies=None, history=None, replayed_events=False):
    """Choose the policy again and bring the open clocks to what it gives from the original start
    times. Fulfilled clocks keep their history; a breach stays a breach. Returns the ClockBook."""
    policy = policy_for(ticket, policies)
    recorded, current_id = applied_policy_id(ticket.id)
    new_id = policy.id if policy is not None else None
    policy_changed = new_id != current_id
    if policy_changed:
        at = ticket.created_at if not recorded else now
        _record(ticket.id, None, "policy_applied", at,
                {"policy_id": new_id, "name": policy.name if policy else None, "previous_policy_id": current_id})
    terms = rules.terms_for(policy, ticket.priority) or rules.Terms(None, {})
    book = _remember(ticket, _book(ticket, ticket_clocks(ticket.id), terms))
    if not terms.targets:
        for clock in list(book.clocks):
            book.cancel(clock, now, "no_policy")
        _persist(ticket, book)
        return book
    if history is None:
        history = load_histories([ticket.id]).get(ticket.id, [])
    replay = rules.replay(ticket.created_at, history, terms, book.time_for)
    if not book.clocks and replayed_events:
        # A ticket that never had clocks (imported, seeded): adopt the replay and its history.
        for state in replay.clocks:
            clock = book.new_clock(state.metric, state.cycle)
            _copy(state, clock)
            book.clocks.append(clock)
        book.events = [(kind, metric, at, {**data, "replayed": True}) for kind, metric, at, data in replay.events]
        _persist(ticket, book)
        return book
    _sync(book, replay, terms, now, policy_changed)
    _persist(ticket, book)
    return book


def _sync(book, replay, terms, now, policy_changed):
    existing = {(c.metric, c.cycle): c for c in book.clocks}
    wanted = {(c.metric, c.cycle): c for c in replay.clocks}
    for key, clock in existing.items():
        state = wanted.get(key)
        if clock.state in rules.OPEN_STATES:
            if state is None:
                book.cancel(clock, now, "recomputed")
                continue
            before = (clock.target_minutes, clock.business_hours, clock.state, clock.due_at, clock.policy_id)
            breached_at = clock.breached_at or state.breached_at
            _copy(state, clock)
            clock.breached_at = breached_at
            if before != (clock.target_minutes, clock.business_hours, clock.state, clock.due_at, clock.policy_id):
                book._event("recomputed", clock, now, previous_due_at=rules._iso(before[3]),
                            due_at=rules._iso(clock.due_at), target_minutes=clock.target_minutes,
                            state=clock.state)
        elif policy_changed and clock.state == "achieved":
            if clock.metric not in terms.targets:
                book.cancel(clock, now, "policy_changed")
            else:
                clock.policy_id = terms.policy_id
    for key, state in sorted(wanted.items()):
        if key in existing:
            continue
        clock = book.new_clock(*key)
        _copy(state, clock)
        book.clocks.append(clock)
        book._event("activated", clock, now, recomputed=True, due_at=rules._iso(clock.due_at), state=clock.state,
                    target_minutes=clock.target_minutes, business_hours=clock.business_hours)


def _load_tickets(ids):
    return db.session.scalars(
        select(Ticket).where(Ticket.id.in_(ids)).options(
            selectinload(Ticket.organization), selectinload(Ticket.tags),
            selectinload(Ticket.group).selectinload(Group.calendar).selectinload(BusinessCalendar.holidays),
        ).order_by(Ticket.id)
    ).all()


def start_clocks_from_history(ticket_ids, now=None):
    """Give tickets written with their history (imported, seeded) the clocks it implies.

    Tickets that already had a policy decision are left alone (safe to run twice). Clocks already
    past due are marked breached quietly: no warning, no escalation, the breach is history.
    Returns how many clocks were marked breached.
    """
    now = now or utcnow()
    policies = active_policies()
    if not policies:
        return 0
    quiet = 0
    ids = sorted(set(ticket_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        seen = set(db.session.scalars(select(SlaEvent.ticket_id).where(SlaEvent.ticket_id.in_(chunk)).distinct()))
        todo = [i for i in chunk if i not in seen]
        if not todo:
            continue
        histories = load_histories(todo)
        for ticket in _load_tickets(todo):
            book = recompute_ticket(ticket, now, policies=policies, history=histories.get(ticket.id, []),
                                    replayed_events=True)
            quiet += _breach_quietly(ticket, book, now)
        db.session.flush()
    return quiet


def _breach_quietly(ticket, book, now):
    count = 0
    for clock in book.clocks:
        if clock.state == "active" and clock.due_at is not None and clock.due_at <= now and clock.breached_at is None:
            clock.breached_at, clock.escalated_at = clock.due_at, now
            _record(ticket.id, clock.metric, "breached", clock.due_at,
                    {"cycle": clock.cycle, "quiet": True, "due_at": rules._iso(clock.due_at)})
            count += 1
    return count


def recompute_open_tickets(policy_id=None, calendar_id=None, now=None):
    """After a policy or calendar change: recompute the tickets it can affect, in batches.

    `policy_id`: tickets running that policy's clocks; `calendar_id`: tickets whose clocks run on
    that calendar; neither: every ticket not closed (which policy matches may have changed).
    Commits after each batch (it runs as a job). Returns how many tickets were looked at.
    """
    now = now or utcnow()
    query = select(Ticket.id).where(Ticket.status.in_(OPEN_TICKET_STATUSES))
    if policy_id is not None:
        query = query.where(Ticket.id.in_(
            select(TicketSlaClock.ticket_id).where(TicketSlaClock.policy_id == policy_id,
                                                   TicketSlaClock.state.in_(rules.OPEN_STATES))))
    elif calendar_id is not None:
        is_default = db.session.scalar(select(BusinessCalendar.is_default).where(BusinessCalendar.id == calendar_id))
        on_calendar = Ticket.group_id.in_(select(Group.id).where(Group.calendar_id == calendar_id))
        if is_default:
            on_calendar = on_calendar | Ticket.group_id.is_(None) | Ticket.group_id.in_(
                select(Group.id).where(Group.calendar_id.is_(None)))
        query = query.where(on_calendar, Ticket.id.in_(
            select(TicketSlaClock.ticket_id).where(TicketSlaClock.state.in_(rules.OPEN_STATES))))
    ids = db.session.scalars(query.order_by(Ticket.id)).all()
    policies = active_policies()
    for start in range(0, len(ids), 200):
        chunk = ids[start:start + 200]
        histories = load_histories(chunk)
        for ticket in _load_tickets(chunk):
            recompute_ticket(ticket, now, policies=policies, history=histories.get(ticket.id, []))
        db.session.commit()
    return len(ids)


# --- reading for people and the API ----------------------------------------------------------------

def sla_json(ticket, now=None):
    """The API's `sla`: per metric of the applying policy (next reply: its latest cycle), in order."""
    now = now or utcnow()
    latest = {}
    for clock in ticket_clocks(ticket.id):
        if clock.state != "cancelled":
            latest[clock.metric] = clock  # ordered by cycle: the last one wins
    return [
        {
            "metric": metric,
            "due_at": clock.due_at,
            "achieved_at": clock.achieved_at,
            "breached": clock.breached_at is not None
            or (clock.state == "active" and clock.due_at is not None and clock.due_at <= now),
            "paused": clock.state == "paused",
        }
        for metric in rules.METRICS if (clock := latest.get(metric)) is not None
    ]


def sla_overview(ticket):
    """(clocks, events) for the ticket page's SLA panel."""
    return ticket_clocks(ticket.id), ticket_events(ticket.id)

