"""Periodic jobs: one winner per tick, the in-process pass, and the jobs on the schedule."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.jobs import job
from app.jobs.schedule import PERIODIC_JOBS, claim_tick, run_due_periodic_jobs, run_periodic
from app.models import JobRecord, PeriodicTick, Ticket, TicketEvent
from app.models.base import utcnow

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)  # on a minute and an hour boundary


@job("test.periodic_fail")
def periodic_fail():
    raise RuntimeError("the sweep broke")


def test_claim_tick_lets_one_claimant_win_each_tick(app, db):
    assert claim_tick("test.tick", 60, now=T0) is True
    assert claim_tick("test.tick", 60, now=T0) is False
    assert claim_tick("test.tick", 60, now=T0 + timedelta(seconds=59)) is False
    assert claim_tick("test.tick", 60, now=T0 + timedelta(seconds=60)) is True
    # A late scheduler still gets the next tick, however its clock is phased.
    assert claim_tick("test.tick", 60, now=T0 + timedelta(seconds=121)) is True
    tick = db.session.get(PeriodicTick, "test.tick")
    assert tick.last_run_at == T0 + timedelta(seconds=121) and tick.last_run_by


def test_two_processes_claiming_the_same_tick_at_once_one_wins(app):
    for n in range(5):
        now = T0 + timedelta(minutes=n)
        start = threading.Barrier(2)
        results = []

        def claim():
            with app.app_context():
                start.wait()
                results.append(claim_tick("test.race", 60, now=now))

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(results) == [False, True], f"tick {n}: {results}"


def test_in_process_pass_runs_requeue_and_close_solved_once_per_tick(app, db, make_user, make_ticket, calls):
    customer = make_user("customer")
    old = make_ticket(customer, subject="Old and solved")
    recent = make_ticket(customer, subject="Recently solved")
    now = utcnow()
    days = app.config["SOLVED_CLOSE_AFTER_DAYS"]
    old.status, old.solved_at = "solved", now - timedelta(days=days, hours=1)
    recent.status, recent.solved_at = "solved", now - timedelta(days=days - 1)
    dropped = JobRecord(name="test.record", args=["dropped"], status="pending",
                        created_at=now - timedelta(hours=1))
    db.session.add(dropped)
    db.session.commit()
    old_id, recent_id = old.id, recent.id

    ran = run_due_periodic_jobs(now)  # one fixed moment: a pass a second later may be the next tick
    assert {"jobs.requeue_dropped", "support.close_solved"} <= set(ran)
    from app.jobs import run_inline_jobs

    run_inline_jobs()
    assert calls == ["dropped"]
    db.session.expire_all()  # the jobs ran in their own sessions
    assert db.session.get(Ticket, old_id).status == "closed"
    assert db.session.get(Ticket, recent_id).status == "solved"
    event = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == old_id)
                               .order_by(TicketEvent.id.desc())).first()
    assert (event.kind, event.old_value, event.new_value) == ("status", "solved", "closed")

    assert run_due_periodic_jobs(now) == []  # same tick: nothing runs twice
    assert calls == ["dropped"]


def test_close_solved_leaves_recent_and_unsolved_tickets(app, db, make_user, make_ticket):
    from app.support.jobs import close_solved_tickets

    customer = make_user("customer")
    now = utcnow()
    days = app.config["SOLVED_CLOSE_AFTER_DAYS"]
    tickets = {
        "old": make_ticket(customer, status="solved", solved_at=now - timedelta(days=days + 3)),
        "edge": make_ticket(customer, status="solved", solved_at=now - timedelta(days=days, minutes=-5)),
        "open": make_ticket(customer, status="open"),
    }
    ids = {k: t.id for k, t in tickets.items()}
    close_solved_tickets()
    db.session.expire_all()
    status = {k: db.session.get(Ticket, i).status for k, i in ids.items()}
    assert status == {"old": "closed", "edge": "solved", "open": "open"}
    closed = db.session.get(Ticket, ids["old"])
    assert closed.closed_at is not None
    assert [e.new_value for e in closed.events if e.kind == "status"] == ["closed"]


def test_a_failing_periodic_job_is_recorded_for_admins(app, db, monkeypatch):
    monkeypatch.setitem(PERIODIC_JOBS, "test.periodic_fail", (60, "default"))
    assert run_periodic("test.periodic_fail") is False
    failed = db.session.scalars(select(JobRecord).where(JobRecord.name == "test.periodic_fail")).one()
    assert failed.status == "failed" and "RuntimeError: the sweep broke" in failed.last_error
    # The tick was used: the next pass in the same tick does not hammer a broken job.
    assert run_periodic("test.periodic_fail") is False
    assert db.session.scalar(select(_db.func.count(JobRecord.id))) == 1


def test_rq_cron_registration_covers_every_periodic_job(app, db, monkeypatch):
    from rq.cron import CronScheduler

    from app.jobs.rq import register_periodic_jobs

    monkeypatch.setitem(app.config, "RQ_QUEUE_PREFIX", "tandem-x")
    scheduler = register_periodic_jobs(CronScheduler(connection=None, name="test"))
    registered = {j.args[0]: j for j in scheduler.get_jobs()}
    assert set(registered) == set(PERIODIC_JOBS)
    for name, (interval, queue) in PERIODIC_JOBS.items():
        cron_job = registered[name]
        assert cron_job.func_name == "app.jobs.schedule.run_periodic"
        assert (cron_job.interval, cron_job.queue_name) == (interval, f"tandem-x:{queue}")


def test_periodic_intervals_must_be_positive():
    from app.jobs.schedule import periodic

    with pytest.raises(ValueError):
        periodic("test.never", every=0)
