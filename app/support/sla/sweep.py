"""The SLA sweep: warn before a breach, mark the breach, run the escalation — each exactly once.

Only running clocks not yet breached whose due time has passed or falls inside the widest warning
window are read (index ix_ticket_sla_clocks_sweep), so tickets that stay overdue are not read
again on every pass. Each clock is claimed with a
conditional UPDATE (`… WHERE breached_at IS NULL`, `… WHERE warned_at IS NULL`) and acted on only
when this sweep's UPDATE changed it, so two sweeps overlapping on two workers never both warn,
breach or escalate: on PostgreSQL the second one waits for the first's row locks and then finds
the rows taken, on SQLite it waits for the write lock. The claims and the actions (events, mails,
priority and group changes) share the caller's transaction, so a failed sweep leaves no half-done
escalation behind; the next one claims the clock again.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.mail import queue_mail
from app.models import Group, SlaEvent, SlaPolicy, Ticket, TicketSlaClock
from app.models.base import utcnow
from app.support import rules as support_rules
from app.support.sla.config import METRIC_LABELS

BATCH = 500
DEFAULT_WARN_MINUTES = 15


def _chunks(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _claim(ids, condition, values):
    """The clocks among `ids` this sweep changed (and so owns), as light rows."""
    if not ids:
        return []
    return db.session.execute(
        update(TicketSlaClock).where(TicketSlaClock.id.in_(ids), *condition).values(**values)
        .returning(TicketSlaClock.id, TicketSlaClock.ticket_id, TicketSlaClock.metric, TicketSlaClock.cycle,
                   TicketSlaClock.due_at, TicketSlaClock.policy_id)
        .execution_options(synchronize_session=False)
    ).all()


def sweep(now=None, stats=None):
    """One pass. Returns {"warned": N, "breached": N, "escalated": N}; flushes, the caller commits.

    `stats`, when given, receives the rows read ("tickets", "clocks"), for the benchmark and tests.
    """
    now = now or utcnow()
    done = {"warned": 0, "breached": 0, "escalated": 0}
    widest = db.session.scalar(select(func.max(SlaPolicy.warn_minutes))) or 0
    # Clocks whose policy was deleted warn on the default window.
    horizon = now + timedelta(minutes=max(widest, DEFAULT_WARN_MINUTES))
    rows = db.session.execute(
        select(TicketSlaClock.id, TicketSlaClock.ticket_id, TicketSlaClock.due_at, TicketSlaClock.warned_at,
               SlaPolicy.warn_minutes)
        .outerjoin(SlaPolicy, SlaPolicy.id == TicketSlaClock.policy_id)
        .where(TicketSlaClock.state == "active", TicketSlaClock.breached_at.is_(None),
               TicketSlaClock.due_at <= horizon)
        .order_by(TicketSlaClock.due_at)
    ).all()
    for chunk in _chunks(rows):
        overdue = [r.id for r in chunk if r.due_at <= now]
        warn = [
            r.id for r in chunk
            if r.due_at > now and r.warned_at is None
            and r.due_at - timedelta(minutes=DEFAULT_WARN_MINUTES if r.warn_minutes is None else r.warn_minutes) <= now
        ]
        breached = _claim(overdue, (TicketSlaClock.breached_at.is_(None), TicketSlaClock.state == "active",
                                    TicketSlaClock.due_at <= now), {"breached_at": TicketSlaClock.due_at})
        warned = _claim(warn, (TicketSlaClock.warned_at.is_(None), TicketSlaClock.breached_at.is_(None),
                               TicketSlaClock.state == "active", TicketSlaClock.due_at > now), {"warned_at": now})
        if breached:
            done["breached"] += len(breached)
            done["escalated"] += _after_breach(breached, now)
        if warned:
            done["warned"] += len(warned)
            _after_warning(warned, now)
    db.session.flush()
    if stats is not None:
        stats.update(tickets=len({r.ticket_id for r in rows}), clocks=len(rows))
    return done


def _load_clocks(ids):
    return db.session.scalars(
        select(TicketSlaClock).where(TicketSlaClock.id.in_(ids))
        .options(selectinload(TicketSlaClock.policy), selectinload(TicketSlaClock.ticket).selectinload(Ticket.assignee))
        .order_by(TicketSlaClock.ticket_id, TicketSlaClock.id)
        .execution_options(populate_existing=True)
    ).all()


def _events(rows):
    if rows:
        db.session.execute(insert(SlaEvent), rows)


def _agent_url(ticket_id):
    return f"{current_app.config['BASE_URL']}/agent/tickets/{ticket_id}"


def _mail(template, user, clock, ticket):
    queue_mail(
        user.email, template, kind=template, ticket_id=ticket.id, locale=user.locale,
        ticket=ticket, recipient=user, metric=METRIC_LABELS.get(clock.metric, clock.metric),
        due_at=clock.due_at, url=_agent_url(ticket.id),
    )


def _after_warning(rows, now):
    clocks = _load_clocks([r.id for r in rows])
    _events([{"ticket_id": c.ticket_id, "metric": c.metric, "kind": "warned", "at": now,
              "data": {"cycle": c.cycle, "due_at": c.due_at.isoformat()}} for c in clocks])
    for clock in clocks:
        assignee = clock.ticket.assignee
        if assignee is not None and assignee.active and assignee.is_staff:
            _mail("sla_warning", assignee, clock, clock.ticket)


def _after_breach(rows, now):
    """Breach events for the claimed clocks and their escalation; returns how many escalated."""
    _events([{"ticket_id": r.ticket_id, "metric": r.metric, "kind": "breached", "at": now,
              "data": {"cycle": r.cycle, "due_at": r.due_at.isoformat()}} for r in rows])
    # Full objects only for the clocks whose escalation has something to act on.
    ids = _worth_escalating(rows)
    escalated = 0
    for clock in _load_clocks(ids) if ids else ():
        if escalate(clock, now):
            escalated += 1
    return escalated


def _worth_escalating(rows):
    rules_by_policy = {
        p.id: p.escalation or {}
        for p in db.session.scalars(select(SlaPolicy).where(SlaPolicy.id.in_({r.policy_id for r in rows})))
    }
    candidates = [r for r in rows if any(rules_by_policy.get(r.policy_id, {}).values())]
    if not candidates:
        return []
    people = {
        t.id: t for t in db.session.execute(
            select(Ticket.id, Ticket.assignee_id, Ticket.group_id)
            .where(Ticket.id.in_({r.ticket_id for r in candidates}))
        )
    }
    wanted = []
    for r in candidates:
        rule, ticket = rules_by_policy[r.policy_id], people.get(r.ticket_id)
        if ticket is None:
            continue
        if (rule.get("raise_priority") or rule.get("reassign_group_id")
                or (rule.get("notify_assignee") and ticket.assignee_id is not None)
                or (rule.get("notify_group") and ticket.group_id is not None)):
            wanted.append(r.id)
    return wanted


def escalate(clock, now):
    """Run the clock's policy escalation once (the breach claim guarantees once). Returns the actions."""
    from app.support.services import set_group, set_priority  # they call back into the engine

    escalation = (clock.policy.escalation if clock.policy is not None else None) or {}
    ticket = clock.ticket
    actions = []
    recipients = {}
    if escalation.get("notify_assignee") and ticket.assignee is not None:
        recipients[ticket.assignee.email] = ticket.assignee
    if escalation.get("notify_group") and ticket.group is not None:
        for member in ticket.group.members:
            recipients.setdefault(member.email, member)
    recipients = [u for u in recipients.values() if u.active and u.is_staff]
    for user in recipients:
        _mail("sla_breach", user, clock, ticket)
    if recipients:
        actions.append({"notified": sorted(u.email for u in recipients)})
    group_id = escalation.get("reassign_group_id")
    if group_id:
        group = db.session.get(Group, int(group_id))
        if group is not None and ticket.group_id != group.id and set_group(ticket, None, group, now=now):
            actions.append({"reassigned_group": group.name})
    if escalation.get("raise_priority") and ticket.priority < max(support_rules.PRIORITY_NAMES):
        # set_priority re-evaluates the policy and recomputes the clocks: this clock stays breached
        # (breached_at is kept) and newly due clocks are the next sweep's, each escalating once.
        new = support_rules.PRIORITY_NAMES[ticket.priority + 1]
        if set_priority(ticket, None, new, now=now):
            actions.append({"raised_priority": new})
    if actions:
        clock.escalated_at = now
        db.session.add(SlaEvent(ticket_id=ticket.id, metric=clock.metric, kind="escalated", at=now,
                                data={"cycle": clock.cycle, "actions": actions}))
    return actions
