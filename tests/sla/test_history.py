"""Clocks for tickets written with their history: CSV imports and the demo."""

from datetime import timedelta

from sqlalchemy import func, select

from app.models import OutboundMail, SlaEvent, Ticket, TicketSlaClock
from app.models.base import utcnow
from app.support.importing import import_tickets, parse_ticket_csv
from app.support.sla.services import sla_json
from app.support.sla.sweep import sweep


def test_imported_tickets_get_targets_from_created_at_and_old_ones_are_breached_quietly(
        db, make_user, make_calendar, make_policy, run_jobs):
    make_calendar(hours={str(d): [["00:00", "24:00"]] for d in range(7)}, tz="UTC")
    make_policy(targets={"first_reply": 60, "resolution": 600},
                escalation={"notify_assignee": True, "notify_group": True, "raise_priority": True})
    now = utcnow().replace(microsecond=0)
    old = (now - timedelta(days=3)).isoformat()
    recent = (now - timedelta(minutes=10)).isoformat()
    data = f"body,created_at,priority\nOld problem,{old},normal\nNew problem,{recent},normal\n".encode()
    ids = import_tickets(parse_ticket_csv(data, now=now), now=now)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    old_ticket, new_ticket = db.session.get(Ticket, ids[0]), db.session.get(Ticket, ids[1])
    # Targets count from each row's created_at.
    assert {r["metric"]: r["due_at"] for r in sla_json(new_ticket)}["first_reply"] == now + timedelta(minutes=50)
    old_clocks = db.session.scalars(select(TicketSlaClock).where(TicketSlaClock.ticket_id == old_ticket.id)).all()
    assert all(c.breached_at == c.due_at for c in old_clocks) and len(old_clocks) == 2
    quiet = db.session.scalars(select(SlaEvent).where(SlaEvent.kind == "breached")).all()
    assert len(quiet) == 2 and all(e.data["quiet"] for e in quiet)
    # Nothing was escalated, and the next sweep does not escalate them either.
    assert sweep(now) == {"warned": 0, "breached": 0, "escalated": 0}
    db.session.commit()
    assert old_ticket.priority_name == "normal"
    assert db.session.scalar(select(func.count(OutboundMail.id))) == 0
    assert all(r["breached"] for r in sla_json(old_ticket))
    # The job is safe to run twice.
    from app.support.sla.services import start_clocks_from_history

    assert start_clocks_from_history(ids, now) == 0
    assert db.session.scalar(select(func.count(TicketSlaClock.id))) == 4


def test_the_demo_gets_a_calendar_policies_and_clocks_consistent_with_history(runner, db, run_jobs):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    run_jobs()
    db.session.expire_all()
    open_tickets = db.session.scalars(select(Ticket).where(Ticket.status.in_(("new", "open")))).all()
    assert open_tickets and all(t.due_at is not None for t in open_tickets)
    pending = db.session.scalars(select(Ticket).where(Ticket.status == "pending")).all()
    assert pending and all(t.due_at is None for t in pending)  # waiting on the customer: paused
    for ticket in db.session.scalars(select(Ticket).where(Ticket.status.in_(("solved", "closed")))):
        resolution = {r["metric"]: r for r in sla_json(ticket)}.get("resolution")
        assert resolution is not None and resolution["achieved_at"] is not None
    # Replied tickets have their first reply achieved at the first public agent reply.
    replied = [t for t in open_tickets if any(m.public and m.author and m.author.is_staff for m in t.messages)]
    for ticket in replied[:20]:
        first_agent = min(m.created_at for m in ticket.messages if m.public and m.author and m.author.is_staff)
        assert {r["metric"]: r for r in sla_json(ticket)}["first_reply"]["achieved_at"] == first_agent
    # History was breached quietly: nobody is mailed about the demo's past.
    assert db.session.scalar(select(func.count(OutboundMail.id)).where(OutboundMail.kind.like("sla_%"))) == 0
