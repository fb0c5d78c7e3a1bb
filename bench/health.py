"""Health recompute at scale.

    python -m bench.health [--accounts 10000] [--tickets 1000000] [--db sqlite|postgresql|both]

Builds a fresh database with the migrations (SQLite in a temporary directory; PostgreSQL database
`tandem_bench_health` on 127.0.0.1:5432 unless --pg-url says otherwise) and bulk-loads N accounts,
M tickets over two years (a few percent open, some urgent), SLA clocks on the last 120 days'
tickets (about a fifth breached), CSAT answers, NPS answers from one contact per account and
daily usage figures, then times `recompute_health()` over every account (the nightly job), twice
(a second run the same day replaces the snapshots), and a recompute of 500 "dirty" accounts.
Target: the full recompute under 30 s.
"""

import argparse
import os
import random
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone

from bench.bulk import fresh_postgres, postgres_bulk, postgres_copy, sqlite_bulk, sqlite_insert
from bench.queue_data import machine

CHUNK = 50_000
TICKET_COLUMNS = ("id", "subject", "status", "priority", "channel", "organization_id", "created_at", "updated_at",
                  "solved_at", "reopen_count", "is_spam", "version")
CLOCK_COLUMNS = ("id", "ticket_id", "metric", "cycle", "state", "target_minutes", "business_hours", "started_at",
                 "used_seconds", "due_at", "achieved_at", "breached_at")
CSAT_COLUMNS = ("id", "ticket_id", "rating", "solve_count", "created_at", "updated_at")
BIG_TABLES = ("tickets", "ticket_sla_clocks", "csat_responses")
STAGES = ("onboarding", "adopting", "mature", "mature", "renewal", "churned")


def generate(accounts, tickets, now, seed=11):
    """Chunks of (tickets, clocks, csat) rows."""
    rng = random.Random(seed)
    span = 730 * 86400
    clock_id = csat_id = 0
    for start in range(1, tickets + 1, CHUNK):
        t_rows, c_rows, s_rows = [], [], []
        for tid in range(start, min(tickets, start + CHUNK - 1) + 1):
            age = rng.random() ** 2 * span  # more recent tickets than old ones
            created = now - timedelta(seconds=age)
            org = 1 + int(rng.paretovariate(1.2) * 7) % accounts  # a few big accounts, a long tail
            open_ = age < 14 * 86400 and rng.random() < 0.5
            status = rng.choice(("new", "open", "pending")) if open_ else "closed"
            priority = 4 if rng.random() < 0.05 else rng.choice((1, 2, 2, 3))
            solved = None if open_ else created + timedelta(hours=rng.randint(1, 96))
            t_rows.append((tid, "Bench ticket", status, priority, "web", org, created, solved or created, solved, 0,
                           False, 1))
            if age < 120 * 86400:
                breached = rng.random() < 0.2
                clock_id += 1
                reply = created + timedelta(minutes=rng.randint(5, 600))
                c_rows.append((clock_id, tid, "first_reply", 1, "achieved", 240, False, created, 0,
                               created + timedelta(minutes=240), reply,
                               created + timedelta(minutes=240) if breached else None))
                if solved is not None and rng.random() < 0.25:
                    csat_id += 1
                    s_rows.append((csat_id, tid, "good" if rng.random() < 0.85 else "bad", 0, solved, solved))
        yield t_rows, c_rows, s_rows


def seed_accounts(db, accounts, now, seed=5):
    from app.models import Organization, User
    from app.models.health import NpsResponse, NpsSurvey, UsageFigure

    rng = random.Random(seed)
    conn = db.session.connection()
    today = now.date()
    for start in range(1, accounts + 1, CHUNK):
        ids = range(start, min(accounts, start + CHUNK - 1) + 1)
        conn.execute(Organization.__table__.insert(), [dict(
            id=i, name=f"Account {i}", plan=("starter", "growth", "enterprise")[i % 3], mrr=100 * (i % 50),
            stage=STAGES[i % len(STAGES)], segment_tags=[("emea", "apac", "amer")[i % 3]], shared_tickets=False,
            renewal_date=today + timedelta(days=rng.randint(-10, 400)) if i % 4 else None,
            created_at=now - timedelta(days=rng.randint(20, 900))) for i in ids])
        conn.execute(User.__table__.insert(), [dict(id=i, email=f"contact{i}@bench.example", name=f"Contact {i}",
                                                    role="customer", organization_id=i, created_at=now) for i in ids])
        answered = [i for i in ids if i % 2]
        conn.execute(NpsSurvey.__table__.insert(), [dict(id=i, organization_id=i, created_at=now - timedelta(days=40))
                                                    for i in answered])
        conn.execute(NpsResponse.__table__.insert(), [dict(
            id=i, survey_id=i, organization_id=i, user_id=i, score=rng.choice((2, 5, 7, 8, 9, 9, 10, 10)),
            sent_at=now - timedelta(days=40), answered_at=now - timedelta(days=39)) for i in answered])
        usage = [dict(organization_id=i, metric=metric, day=today - timedelta(days=d),
                      value=float(rng.randint(0, 100)), imported_at=now)
                 for i in ids if i % 3 == 0 for metric in ("logins", "features_used") for d in range(1, 120, 12)]
        for k in range(0, len(usage), CHUNK):
            conn.execute(UsageFigure.__table__.insert(), usage[k:k + CHUNK])


def load(kind, conn, chunks):
    if kind == "sqlite":
        with sqlite_bulk(conn, BIG_TABLES) as cur:
            for t_rows, c_rows, s_rows in chunks:
                sqlite_insert(cur, "tickets", TICKET_COLUMNS, t_rows)
                sqlite_insert(cur, "ticket_sla_clocks", CLOCK_COLUMNS, c_rows)
                sqlite_insert(cur, "csat_responses", CSAT_COLUMNS, s_rows)
        return
    with postgres_bulk(conn, BIG_TABLES, ("tickets", "ticket_sla_clocks", "csat_responses")) as cur:
        for t_rows, c_rows, s_rows in chunks:
            postgres_copy(cur, "tickets", TICKET_COLUMNS, t_rows)
            postgres_copy(cur, "ticket_sla_clocks", CLOCK_COLUMNS, c_rows)
            postgres_copy(cur, "csat_responses", CSAT_COLUMNS, s_rows)


def run_one(kind, args, now):
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models.health import AccountHealth, HealthSnapshot
    from app.success.health.services import recompute_health

    workdir = None
    if kind == "sqlite":
        workdir = tempfile.mkdtemp(prefix="tandem-bench-health-")
        url = f"sqlite:///{workdir}/bench.db"
    else:
        url = args.pg_url
        fresh_postgres(url)
    app = create_app({"TANDEM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": False, "SCHEDULER_IN_PROCESS": False})
    print(f"\n== {kind}: {url}", flush=True)
    figures = {}
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        seed_accounts(db, args.accounts, now)
        load(kind, db.session.connection(), generate(args.accounts, args.tickets, now))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("ANALYZE" if kind == "sqlite" else "VACUUM ANALYZE")
        print(f"  loaded {args.accounts:,} accounts, {args.tickets:,} tickets in {time.perf_counter() - start:.0f} s",
              flush=True)
        print(f"  load average before measuring: {os.getloadavg()[0]:.1f}", flush=True)
        for label, ids in (("full recompute, first run", None), ("full recompute, same day again", None)):
            start = time.perf_counter()
            n = recompute_health(ids, now=now)
            db.session.commit()
            figures[label] = time.perf_counter() - start
            print(f"  {label:<40} {figures[label]:6.2f} s   ({n:,} accounts)", flush=True)
        dirty = list(range(1, args.accounts + 1, max(1, args.accounts // 500)))[:500]
        start = time.perf_counter()
        n = recompute_health(dirty, now=now)
        db.session.commit()
        figures["dirty"] = time.perf_counter() - start
        print(f"  {'recompute of 500 dirty accounts':<40} {figures['dirty']:6.2f} s   ({n:,} accounts)", flush=True)
        bands = dict(db.session.execute(select(AccountHealth.band, func.count()).group_by(AccountHealth.band)).all())
        snapshots = db.session.scalar(select(func.count(HealthSnapshot.id)))
        print(f"  bands: {bands}; snapshots: {snapshots:,}", flush=True)
        db.session.remove()
        db.engine.dispose()
    if workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.health", description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/tandem_bench_health")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args(argv)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    print(f"Tandem health recompute benchmark: {args.accounts:,} accounts, {args.tickets:,} tickets; {machine()}",
          flush=True)
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        figures = run_one(kind, args, now)
        verdict = "under" if figures["full recompute, first run"] < 30 else "OVER"
        print(f"  {kind}: full recompute {figures['full recompute, first run']:.2f} s ({verdict} the 30 s target)")


if __name__ == "__main__":
    main()
