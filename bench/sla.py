"""SLA engine at scale: one sweep over N open tickets (1% due), and what the SLA adds to a reply.

    python -m bench.sla --tickets 1000000 --db sqlite|postgresql|both [--replies 300]

Builds a fresh database with the migrations (SQLite in a temporary directory; PostgreSQL database
`tandem_bench_sla` on 127.0.0.1:5432 unless --pg-url says otherwise) and bulk-loads N open tickets
with their clocks and policy events (executemany on SQLite, COPY on PostgreSQL, secondary indexes
dropped and recreated from their own definitions). 99% have answered first replies and resolution
due within 30 days; 1% have a first reply overdue. Then:

- sweep: wall time of one `sweep()` plus its commit, and the rows it read (tickets, clocks). The
  tickets are unassigned, so the policy's escalation (notify the assignee) sends nothing: the
  figure is the engine's cost, not template rendering.
- reply: p50/p95 of posting a reply through `add_message` + commit, with the SLA hooks and with
  them switched off, on tickets created through the services in the same big database; and the
  time spent inside the hooks themselves.
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

from bench.bulk import (
    fresh_postgres,
    postgres_bulk,
    postgres_copy,
    progress,
    sqlite_bulk,
    sqlite_insert,
)

CHUNK = 50_000
BIG_TABLES = ("tickets", "ticket_sla_clocks", "sla_events")
TICKET_COLUMNS = ("id", "subject", "status", "priority", "channel", "due_at", "created_at", "updated_at",
                  "reopen_count", "is_spam", "version")
CLOCK_COLUMNS = ("id", "ticket_id", "policy_id", "metric", "cycle", "state", "target_minutes", "business_hours",
                 "started_at", "used_seconds", "resumed_at", "due_at", "achieved_at")
EVENT_COLUMNS = ("id", "ticket_id", "metric", "kind", "at", "data")
RESOLUTION_MINUTES = 30 * 24 * 60


def generate(n, now, policy_id=1):
    """Chunks of (tickets, clocks, events) rows; every 100th ticket has its first reply overdue."""
    clock_id = event_id = 0
    tickets, clocks, events = [], [], []
    for i in range(1, n + 1):
        due = i % 100 == 0
        if due:
            created = now - timedelta(minutes=61 + i % 59)
        else:
            created = now - timedelta(minutes=90 + (i * 7919) % (29 * 24 * 60))
        first_due = created + timedelta(minutes=60)
        resolution_due = created + timedelta(minutes=RESOLUTION_MINUTES)
        tickets.append((i, f"Bench ticket {i}", "open", 2, "web", first_due if due else resolution_due,
                        created, now, 0, False, 2))
        clock_id += 1
        clocks.append((clock_id, i, policy_id, "first_reply", 1, "active" if due else "achieved", 60, False,
                       created, 0 if due else 1800, created if due else None, first_due,
                       None if due else created + timedelta(minutes=30)))
        clock_id += 1
        clocks.append((clock_id, i, policy_id, "resolution", 1, "active", RESOLUTION_MINUTES, False, created, 0,
                       created, resolution_due, None))
        event_id += 1
        events.append((event_id, i, None, "policy_applied", created, f'{{"policy_id": {policy_id}}}'))
        if len(tickets) == CHUNK:
            yield tickets, clocks, events
            tickets, clocks, events = [], [], []
    if tickets:
        yield tickets, clocks, events


def _tables(tickets, clocks, events):
    return (("tickets", TICKET_COLUMNS, tickets), ("ticket_sla_clocks", CLOCK_COLUMNS, clocks),
            ("sla_events", EVENT_COLUMNS, events))


def load_sqlite(conn, chunks):
    with sqlite_bulk(conn, BIG_TABLES) as cur:
        for tickets, clocks, events in chunks:
            for table, columns, rows in _tables(tickets, clocks, events):
                sqlite_insert(cur, table, columns, rows)
            progress(tickets[-1][0])


def load_postgres(conn, chunks):
    with postgres_bulk(conn, BIG_TABLES, BIG_TABLES) as cur:
        for tickets, clocks, events in chunks:
            for table, columns, rows in _tables(tickets, clocks, events):
                postgres_copy(cur, table, columns, rows)
            progress(tickets[-1][0])


def seed_configuration(db, now):
    from app.models import BusinessCalendar, SlaPolicy, SlaTarget, User

    db.session.add(BusinessCalendar(id=1, name="Office", timezone="Europe/Berlin", is_default=True,
                                    hours={str(d): ([["09:00", "17:00"]] if d < 5 else []) for d in range(7)}))
    db.session.add(SlaPolicy(
        id=1, name="Standard", position=0, conditions={}, pause_statuses={}, warn_minutes=15,
        escalation={"notify_assignee": True, "notify_group": False, "raise_priority": False},
        targets=[SlaTarget(metric=m, priority=p, minutes=minutes, business_hours=False)
                 for p in range(1, 5) for m, minutes in (("first_reply", 60), ("next_reply", 120),
                                                         ("resolution", RESOLUTION_MINUTES))],
    ))
    db.session.add_all([User(id=1, email="agent@bench.example", name="Agent", role="agent", created_at=now),
                        User(id=2, email="customer@bench.example", name="Customer", role="customer",
                             created_at=now)])
    db.session.commit()


# --- measuring ----------------------------------------------------------------------------------

def measure_sweep(db, now):
    from app.support.sla.sweep import sweep

    db.session.expunge_all()
    stats = {}
    start = time.perf_counter()
    result = sweep(now, stats=stats)
    db.session.commit()
    elapsed = time.perf_counter() - start
    print(f"  sweep: {elapsed * 1000:,.0f} ms wall, read {stats['tickets']:,} tickets and {stats['clocks']:,} "
          f"clocks; {result}", flush=True)
    start = time.perf_counter()
    again = sweep(now + timedelta(seconds=60), stats=stats)
    db.session.commit()
    print(f"  next sweep (nothing new due): {(time.perf_counter() - start) * 1000:,.0f} ms, read "
          f"{stats['tickets']:,} tickets and {stats['clocks']:,} clocks; {again}", flush=True)
    return elapsed, stats


def _percentiles(samples):
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure_replies(db, replies):
    """Agent replies (achieving first reply) then customer replies (starting next reply), through
    `add_message` + commit. Tickets alternate between SLA hooks on and off, so both halves see the
    same database and machine load; the hooks' own time is measured too."""
    import app.support.services as support
    from app.models import User
    from app.models.base import utcnow
    from app.support.sla import services as sla

    customer = db.session.get(User, 2)
    ids = [support.create_ticket(customer, body="Bench question", now=utcnow(), notify=False).id
           for _ in range(2 * replies)]
    db.session.commit()
    original = sla.message_added, sla.status_changed
    hook_ms = []

    def timed(fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                hook_ms.append((time.perf_counter() - start) * 1000)
        return wrapper

    samples = {True: [], False: []}
    for round_, author_id in enumerate((1, 2)):  # the agent answers, then the customer writes back
        for i, ticket_id in enumerate(ids):
            with_sla = i % 2 == 0
            if with_sla:
                sla.message_added, sla.status_changed = timed(original[0]), timed(original[1])
            else:
                sla.message_added = sla.status_changed = lambda *args, **kwargs: None
            try:
                db.session.expunge_all()
                ticket = db.session.get(support.Ticket, ticket_id)
                author = db.session.get(User, author_id)
                start = time.perf_counter()
                support.add_message(ticket, author, f"Reply {round_}", public=True, now=utcnow(), notify=False)
                db.session.commit()
                samples[with_sla].append((time.perf_counter() - start) * 1000)
            finally:
                sla.message_added, sla.status_changed = original
    with_p = _percentiles(samples[True])
    without_p = _percentiles(samples[False])
    hooks = _percentiles(hook_ms)
    print(f"  reply with SLA: p50 {with_p[0]:.2f} ms, p95 {with_p[1]:.2f} ms; without the SLA hooks: "
          f"p50 {without_p[0]:.2f} ms, p95 {without_p[1]:.2f} ms ({len(samples[True])} replies each)", flush=True)
    print(f"  added by SLA per reply: p50 {with_p[0] - without_p[0]:.2f} ms, p95 {with_p[1] - without_p[1]:.2f} ms; "
          f"time inside the hooks (includes the flush of the reply they trigger): p50 {hooks[0]:.2f} ms, "
          f"p95 {hooks[1]:.2f} ms", flush=True)
    return with_p, without_p, hooks


def run_one(kind, args, now):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    if kind == "sqlite":
        workdir = tempfile.mkdtemp(prefix="tandem-bench-sla-")
        url = f"sqlite:///{workdir}/bench.db"
    else:
        url = args.pg_url
        fresh_postgres(url)
    app = create_app({"TANDEM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": False, "SCHEDULER_IN_PROCESS": False, "JOBS_DEFER_INLINE": True})
    print(f"\n== {kind}: {url}", flush=True)
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        seed_configuration(db, now)
        conn = db.session.connection()
        (load_sqlite if kind == "sqlite" else load_postgres)(conn, generate(args.tickets, now))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("ANALYZE" if kind == "sqlite" else "VACUUM ANALYZE")
        print(f"  loaded {args.tickets:,} tickets, {2 * args.tickets:,} clocks in {time.perf_counter() - start:.0f} s",
              flush=True)
        sweep_figures = measure_sweep(db, now)
        reply_figures = measure_replies(db, args.replies)
        db.session.remove()
        db.engine.dispose()
    if kind == "sqlite":
        shutil.rmtree(workdir, ignore_errors=True)
    return sweep_figures, reply_figures


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.sla", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--replies", type=int, default=300, help="tickets replied to (twice each) per variant")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/tandem_bench_sla")
    args = parser.parse_args(argv)
    if args.tickets < 100:
        parser.error("--tickets must be at least 100")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    print(f"Tandem SLA benchmark: {args.tickets:,} open tickets, 1% due; {os.cpu_count()} CPUs", flush=True)
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        run_one(kind, args, now)


if __name__ == "__main__":
    main()
