"""The breach sweep: warnings, breaches and escalations, each exactly once, reading only due tickets."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.extensions import db as _db
from app.models import OutboundMail, SlaEvent, Ticket, TicketSlaClock
from app.models.base import utcnow
from app.support.services import add_message, assign_ticket, create_ticket, set_group
from app.support.sla.sweep import sweep


@pytest.fixture
def desk(db, make_user, make_group, make_calendar, make_policy):
    make_calendar()
    agent = make_user("agent", email="agent@example.com")
    lead = make_user("agent", email="lead@example.com")
    escalations = make_group("Escalations", members=[lead])
    billing = make_group("Billing", members=[agent, lead])
    policy = make_policy(
        targets={"first_reply": 60, "resolution": 480},
        escalation={"notify_assignee": True, "notify_group": True, "raise_priority": True,
                    "reassign_group_id": escalations.id},
        warn_minutes=15,
    )
    customer = make_user("customer", email="ana@acme.example")
    return {"agent": agent, "lead": lead, "billing": billing, "escalations": escalations, "policy": policy,
            "customer": customer}


def new_ticket(db, desk, now, assigned=True):
    ticket = create_ticket(desk["customer"], body="Export is empty", subject="Export", now=now, notify=False)
    if assigned:
        assign_ticket(ticket, desk["agent"], desk["agent"], now=now)
        set_group(ticket, desk["agent"], desk["billing"], now=now)
    db.session.commit()
    return ticket


def events(db, ticket, kind):
    return db.session.scalars(select(SlaEvent).where(SlaEvent.ticket_id == ticket.id, SlaEvent.kind == kind)).all()


def mails(db, kind):
    query = select(OutboundMail).where(OutboundMail.kind == kind).order_by(OutboundMail.to_addr)
    return db.session.scalars(query).all()


def test_warns_once_before_the_breach_and_mails_the_assignee(db, desk, at):
    ticket = new_ticket(db, desk, at())
    assert sweep(at(minutes=40)) == {"warned": 0, "breached": 0, "escalated": 0}
    assert sweep(at(minutes=46)) == {"warned": 1, "breached": 0, "escalated": 0}
    db.session.commit()
    assert sweep(at(minutes=50)) == {"warned": 0, "breached": 0, "escalated": 0}
    db.session.commit()
    (warning,) = mails(db, "sla_warning")
    assert warning.to_addr == "agent@example.com" and f"#{ticket.id}" in warning.subject
    assert len(events(db, ticket, "warned")) == 1


def test_breach_is_marked_and_escalated_exactly_once(db, desk, at):
    ticket = new_ticket(db, desk, at())
    assert sweep(at(hours=1, minutes=1)) == {"warned": 0, "breached": 1, "escalated": 1}
    db.session.commit()
    assert sweep(at(hours=1, minutes=2)) == {"warned": 0, "breached": 0, "escalated": 0}
    db.session.commit()
    db.session.refresh(ticket)
    clock = db.session.scalar(select(TicketSlaClock).where(TicketSlaClock.ticket_id == ticket.id,
                                                           TicketSlaClock.metric == "first_reply"))
    assert clock.breached_at == at(hours=1) and clock.escalated_at == at(hours=1, minutes=1)
    # Escalation: both agents mailed once, priority one step up, moved to the escalation group.
    assert [m.to_addr for m in mails(db, "sla_breach")] == ["agent@example.com", "lead@example.com"]
    assert ticket.priority_name == "high" and ticket.group.name == "Escalations"
    assert len(events(db, ticket, "breached")) == 1 and len(events(db, ticket, "escalated")) == 1
    # Still overdue in the queue until answered; answering keeps the breach on record.
    assert ticket.due_at == at(hours=1)
    add_message(ticket, desk["agent"], "Sorry!", now=at(hours=2))
    db.session.commit()
    db.session.refresh(clock)
    assert clock.state == "achieved" and clock.breached_at == at(hours=1)


def test_a_breached_clock_stays_breached_after_a_recompute(db, desk, at):
    from app.support.services import set_priority

    ticket = new_ticket(db, desk, at())
    sweep(at(hours=2))
    db.session.commit()
    set_priority(ticket, desk["agent"], "low", now=at(hours=2, minutes=5))
    db.session.commit()
    clock = db.session.scalar(select(TicketSlaClock).where(TicketSlaClock.ticket_id == ticket.id,
                                                           TicketSlaClock.metric == "first_reply"))
    assert clock.breached_at is not None
    assert sweep(at(hours=3)) == {"warned": 0, "breached": 0, "escalated": 0}


def test_the_sweep_reads_only_due_tickets(db, app, desk, at):
    for _ in range(30):
        new_ticket(db, desk, at(days=2), assigned=False)  # due Wednesday: far away
    due = [new_ticket(db, desk, at(), assigned=False) for _ in range(2)]
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    stats = {}
    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        result = sweep(at(hours=1, minutes=1), stats=stats)
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    db.session.commit()
    assert result["breached"] == 2
    assert stats == {"tickets": 2, "clocks": 2}
    # Clocks are found through the sweep index; no statement reads every ticket or clock.
    clock_reads = [s for s in statements if "FROM ticket_sla_clocks" in s]
    narrow = ("breached_at IS NULL", "ticket_sla_clocks.id IN", "ticket_sla_clocks.ticket_id = ",
              "ticket_sla_clocks.ticket_id IN")
    assert clock_reads and all(any(n in s for n in narrow) for s in clock_reads)
    assert all("tickets.id IN" in s for s in statements if "FROM tickets" in s)
    # A ticket left overdue is not read again by the next sweep.
    stats = {}
    assert sweep(at(hours=1, minutes=2), stats=stats)["breached"] == 0
    assert stats == {"tickets": 0, "clocks": 0}
    assert {c.ticket_id for c in db.session.scalars(select(TicketSlaClock).where(
        TicketSlaClock.breached_at.is_not(None)))} == {t.id for t in due}


def test_two_overlapping_sweeps_escalate_once(app, db, desk, at):
    tickets = [new_ticket(db, desk, at()) for _ in range(5)]
    now = at(hours=1, minutes=5)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(sweep(now))
                _db.session.commit()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(r["breached"] for r in results) == 5
    assert sum(r["escalated"] for r in results) == 5
    db.session.expire_all()
    assert db.session.scalar(select(func.count(SlaEvent.id)).where(SlaEvent.kind == "escalated")) == 5
    assert len(mails(db, "sla_breach")) == 2 * 5
    assert {t.priority for t in db.session.scalars(select(Ticket).where(Ticket.id.in_([t.id for t in tickets])))} == {3}


def test_cli_sweep_prints_what_it_did(app, db, desk, runner):
    now = utcnow()
    new_ticket(db, desk, now - timedelta(days=10))
    result = runner.invoke(args=["sla", "sweep", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"warned": 0, "breached": 2, "escalated": 2}
    result = runner.invoke(args=["sla", "sweep"])
    assert result.exit_code == 0 and "breached 0" in result.stdout


def test_cli_sweep_reports_a_failure_on_stderr(app, db, runner, monkeypatch):
    import app.support.sla.sweep as module

    def broken(now=None, stats=None):
        raise RuntimeError("database went away")

    monkeypatch.setattr(module, "sweep", broken)
    result = runner.invoke(args=["sla", "sweep", "--json"])
    assert result.exit_code == 1
    assert result.stdout == "" and "database went away" in result.stderr


def test_the_sweep_is_a_periodic_job(app):
    from app.jobs.schedule import PERIODIC_JOBS

    assert PERIODIC_JOBS["sla.sweep"][0] == 60
