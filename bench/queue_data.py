"""Queue and search query timings at scale.

    python -m bench.queue_data --tickets 1000000 --db both [--data ../shared/data] [--runs 100]

Builds a fresh database with the migrations (SQLite in a temporary directory; PostgreSQL database
`tandem_bench` on 127.0.0.1:5432, user postgres, unless --pg-url says otherwise), fills it with N
tickets spread realistically (two years of history, mostly closed, ~50 agents, ~2,000
organizations, tags, SLA due times on active tickets, subjects and bodies from BANKING77 and its
translations), then prints p50/p95 over --runs executions of the queries behind the agent queue,
a filtered view, deep pages and full-text search.

Loading goes straight to the driver (executemany on SQLite, COPY on PostgreSQL) with the big
tables' secondary indexes, triggers and foreign keys dropped and recreated from their own
definitions afterwards, so the schema ends exactly as the migrations made it.
"""

import argparse
import csv
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from bench.bulk import (
    fresh_postgres,
    postgres_bulk,
    postgres_copy,
    progress,
    sqlite_bulk,
    sqlite_insert,
)

BIG_TABLES = ("tickets", "messages", "ticket_tags", "ticket_search")
CHUNK = 50_000
AGENTS = 50
ORGANIZATIONS = 2_000
GROUPS = ("Billing", "Cards", "Payments", "Transfers", "Accounts", "Security", "Mobile app", "Onboarding",
          "Disputes", "Top-ups")
TAGS = ("card", "refund", "transfer", "top-up", "exchange-rate", "pin", "atm", "fees", "verification", "fraud",
        "declined", "pending", "cash", "apple-pay", "google-pay", "virtual-card", "limits", "statement", "kyc",
        "vip", "bug", "feature-request", "mobile", "web", "api", "chargeback", "salary", "crypto", "travel",
        "lost-card", "stolen", "contactless", "beneficiary", "password", "2fa", "account-closure", "wallet",
        "billing", "tax", "urgent-followup")
LANGS = {"ru": "ru", "bg": "bg", "zh_hant": "zh-Hant", "ja": "ja"}
REPLIES = (
    "Thanks for reaching out. We have looked into your account and the issue is now resolved.",
    "Could you send us a screenshot of the error and the last four digits of the card?",
    "Your refund has been processed and should appear within 3-5 business days.",
    "We have escalated this to our payments team and will update you shortly.",
    "Спасибо за обращение! Мы проверили ваш счёт, проблема решена.",
    "お問い合わせありがとうございます。担当チームに確認しております。",
    "感謝您的耐心等待，我們已經為您處理退款。",
)
NOTES = (
    "Internal: checked the ledger, duplicate authorisation from the acquirer. Escalating to payments.",
    "Internal: customer is on the enterprise plan, handle within the hour.",
    "Internal: known issue with the card processor, see incident 4411 (confidential).",
)


# --- source text ----------------------------------------------------------------------------------

def load_texts(data_dir):
    """[(text, language)] from BANKING77 (English) and its translations."""
    data = Path(data_dir)
    texts = []
    for name in ("train.csv", "test.csv"):
        with open(data / "banking77" / name, encoding="utf-8") as fh:
            texts.extend((row["text"].strip(), "en") for row in csv.DictReader(fh))
    translated = []
    for code, lang in LANGS.items():
        with open(data / "banking77_ml" / f"{code}_dev.csv", encoding="utf-8") as fh:
            translated.extend((row["text"].strip(), lang) for row in csv.DictReader(fh))
    return texts, translated


# --- data -----------------------------------------------------------------------------------------

def _status_for_age(rng, age_days):
    r = rng.random()
    if age_days < 14:
        table = (("new", .15), ("open", .35), ("pending", .15), ("on_hold", .05), ("solved", .25), ("closed", .05))
    elif age_days < 60:
        table = (("new", .01), ("open", .04), ("pending", .03), ("on_hold", .02), ("solved", .20), ("closed", .70))
    else:
        table = (("new", .0), ("open", .01), ("pending", .005), ("on_hold", .005), ("solved", .01), ("closed", .97))
    for status, share in table:
        r -= share
        if r < 0:
            return status
    return "closed"


TARGET_HOURS = {1: 72, 2: 24, 3: 8, 4: 4}


def generate(n, texts, translated, now, seed=7):
    """Chunks of rows, identical for every database (same seed)."""
    from app.support.rules import subject_from_body
    from app.support.search import tokens

    rng = random.Random(seed)
    token_cache = {}

    def toks(value):
        got = token_cache.get(value)
        if got is None:
            got = token_cache[value] = tokens(value)
        return got

    def doc(*values):
        return " ".join(dict.fromkeys(t for v in values for t in toks(v)))

    agent_ids = list(range(2, 2 + AGENTS))  # user 1 is the benchmark's admin
    first_customer = 2 + AGENTS
    customers = n // 10 or 1
    span = 730 * 86400
    ticket_id = message_id = 0
    while ticket_id < n:
        tickets, messages, tags, docs = [], [], [], []
        for _ in range(min(CHUNK, n - ticket_id)):
            ticket_id += 1
            # More recent tickets are more frequent (a growing business).
            age = span * (1 - rng.random() ** 0.8)
            created = now - timedelta(seconds=age)
            age_days = age / 86400
            status = _status_for_age(rng, age_days)
            priority = rng.choices((1, 2, 3, 4), (20, 55, 18, 7))[0]
            text1, lang = rng.choice(translated) if rng.random() < 0.15 else rng.choice(texts)
            text2 = rng.choice(texts)[0] if lang == "en" and rng.random() < 0.5 else None
            body = text1 if text2 is None else f"{text1}\n\n{text2}"
            subject = subject_from_body(text1)
            customer = first_customer + rng.randrange(customers)
            org = None if customer % 7 == 0 else 1 + customer % ORGANIZATIONS
            if status == "new":
                assignee = None if rng.random() < 0.8 else rng.choice(agent_ids)
            else:
                assignee = None if rng.random() < 0.05 else rng.choice(agent_ids)
            group = None if rng.random() < 0.1 else 1 + rng.randrange(len(GROUPS))
            due = None
            if status in ("new", "open", "pending", "on_hold"):
                paused = status == "pending" and rng.random() < 0.7
                if not paused and rng.random() < 0.9:
                    due = created + timedelta(hours=TARGET_HOURS[priority] * rng.uniform(0.5, 1.5))
            solved = created + timedelta(hours=rng.uniform(1, 96)) if status in ("solved", "closed") else None
            closed = solved + timedelta(days=4) if status == "closed" else None
            updated = closed or solved or created + timedelta(minutes=rng.uniform(0, 600))
            tickets.append((
                ticket_id, subject[:250], status, priority, rng.choice(("web", "web", "email", "api")), lang,
                customer, org, assignee, group, due, created, updated, solved, closed, 0, None, None, None, None,
                False, 1,
            ))
            message_id += 1
            messages.append((message_id, ticket_id, customer, body, True, "web", created))
            public_texts, notes = [subject, body], []
            if status != "new" and rng.random() < 0.4:
                reply = rng.choice(REPLIES)
                message_id += 1
                messages.append((message_id, ticket_id, assignee or agent_ids[0], reply, True, "web",
                                 created + timedelta(minutes=30)))
                public_texts.append(reply)
            if rng.random() < 0.1:
                note = rng.choice(NOTES)
                message_id += 1
                messages.append((message_id, ticket_id, assignee or agent_ids[0], note, False, "web",
                                 created + timedelta(minutes=20)))
                notes.append(note)
            for tag in rng.sample(range(1, len(TAGS) + 1), rng.choices((0, 1, 2), (45, 40, 15))[0]):
                tags.append((ticket_id, tag))
            docs.append((ticket_id, doc(*public_texts), doc(*public_texts, *notes)))
        yield tickets, messages, tags, docs


TICKET_COLUMNS = (
    "id", "subject", "status", "priority", "channel", "language", "requester_id", "organization_id",
    "assignee_id", "group_id", "due_at", "created_at", "updated_at", "solved_at", "closed_at", "reopen_count",
    "follow_up_of_id", "topic_id", "csat_rating", "csat_comment", "is_spam", "version",
)
MESSAGE_COLUMNS = ("id", "ticket_id", "author_id", "body", "public", "via", "created_at")
TAG_COLUMNS = ("ticket_id", "tag_id")
DOC_COLUMNS = ("ticket_id", "public_text", "full_text")


# --- loading --------------------------------------------------------------------------------------

def seed_small_tables(db, n, now):
    """Admin, agents, organizations, customers, groups and tags through SQLAlchemy Core."""
    from app.models import Group, Organization, Tag, User, group_members

    conn = db.session.connection()
    users = [dict(id=1, email="admin@bench.example", name="Bench Admin", role="admin", created_at=now)]
    users += [dict(id=i, email=f"agent{i}@bench.example", name=f"Agent {i}", role="agent", created_at=now)
              for i in range(2, 2 + AGENTS)]
    conn.execute(Organization.__table__.insert(), [
        dict(id=i, name=f"Organization {i}", plan=("starter", "growth", "enterprise")[i % 3], mrr=100 * (i % 50),
             stage="mature", segment_tags=[], shared_tickets=False, created_at=now)
        for i in range(1, ORGANIZATIONS + 1)
    ])
    conn.execute(User.__table__.insert(), users)
    first_customer = 2 + AGENTS
    batch = []
    for i in range(first_customer, first_customer + (n // 10 or 1)):
        org = None if i % 7 == 0 else 1 + i % ORGANIZATIONS
        batch.append(dict(id=i, email=f"customer{i}@bench.example", name=f"Customer {i}", role="customer",
                          organization_id=org, created_at=now))
        if len(batch) == CHUNK:
            conn.execute(User.__table__.insert(), batch)
            batch = []
    if batch:
        conn.execute(User.__table__.insert(), batch)
    conn.execute(Group.__table__.insert(), [dict(id=i + 1, name=name, created_at=now) for i, name in enumerate(GROUPS)])
    conn.execute(group_members.insert(), [dict(group_id=1 + (a % len(GROUPS)), user_id=a)
                                          for a in range(2, 2 + AGENTS)])
    conn.execute(Tag.__table__.insert(), [dict(id=i + 1, name=name) for i, name in enumerate(TAGS)])


def load_sqlite(conn, chunks):
    with sqlite_bulk(conn, BIG_TABLES) as cur:
        for tickets, messages, tags, docs in chunks:
            for table, columns, rows in (("tickets", TICKET_COLUMNS, tickets), ("messages", MESSAGE_COLUMNS, messages),
                                         ("ticket_tags", TAG_COLUMNS, tags), ("ticket_search", DOC_COLUMNS, docs)):
                sqlite_insert(cur, table, columns, rows)
            progress(tickets[-1][0])
        cur.execute("INSERT INTO ticket_search_fts(ticket_search_fts) VALUES ('rebuild')")


def load_postgres(conn, chunks):
    sequences = ("tickets", "messages", "users", "organizations", "groups", "tags")
    with postgres_bulk(conn, BIG_TABLES, sequences) as cur:
        for tickets, messages, tags, docs in chunks:
            for table, columns, rows in (("tickets", TICKET_COLUMNS, tickets), ("messages", MESSAGE_COLUMNS, messages),
                                         ("ticket_tags", TAG_COLUMNS, tags), ("ticket_search", DOC_COLUMNS, docs)):
                postgres_copy(cur, table, columns, rows)
            progress(tickets[-1][0])


# --- measuring ------------------------------------------------------------------------------------

def timed(db, build, runs):
    """p50 and p95 in ms of running the select `build()` returns and loading its rows."""
    samples = []
    rows = None
    for i in range(runs + 5):
        db.session.expunge_all()
        start = time.perf_counter()
        rows = db.session.execute(build()).scalars().all()
        elapsed = (time.perf_counter() - start) * 1000
        if i >= 5:  # warm-up
            samples.append(elapsed)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    return statistics.median(samples), p95, len(rows)


def measure(db, runs, now, tickets):
    from app.models import Group, User
    from app.support.queries import cursor_of, default_queue, queue_query

    admin = db.session.get(User, 1)
    agent = db.session.get(User, 2)
    billing = db.session.scalar(select(Group.id).where(Group.name == "Payments"))
    newest = queue_query(admin, order="newest")
    active = queue_query(admin, statuses=("new", "open", "pending", "on_hold"))
    deep = min(400, tickets // 50)  # page 400 from 20,000 tickets on
    newest_cursor = cursor_of(db.session.execute(newest.page(deep - 1)).scalars().all()[-1], "newest")
    active_rows = db.session.execute(active.page(deep - 1)).scalars().all() or [None]
    active_cursor = cursor_of(active_rows[-1], "sla") if active_rows[-1] else "s.-.1.0"
    cases = [
        ("default queue, first page (unassigned + mine, new/open, SLA order)",
         lambda: default_queue(agent).first_page()),
        ("filtered view: open, high, group Payments (SLA order)",
         lambda: queue_query(agent, statuses="open", priorities="high", group_id=billing).first_page()),
        ("filtered view: pending + on hold, breached (SLA order)",
         lambda: queue_query(agent, statuses=("pending", "on_hold"), breach_state="breached", now=now).first_page()),
        ("all tickets newest first, first page", lambda: newest.first_page()),
        (f"all tickets newest first, page {deep} by offset", lambda: newest.page(deep)),
        (f"all tickets newest first, page {deep} by keyset", lambda: newest.page_after(newest_cursor)),
        (f"active tickets SLA order, page {deep} by keyset", lambda: active.page_after(active_cursor)),
        # Not a target: the queue pages by keyset; an offset this deep must merge every status.
        (f"active tickets SLA order, page {deep} by offset (info)", lambda: active.page(deep)),
    ]
    cases += [
        # Search lists newest first, as the API's ?q= does.
        ("search 'refund' (staff, newest first)", lambda: queue_query(admin, q="refund", order="newest").first_page()),
        ("search 'card declined' (staff, newest first)",
         lambda: queue_query(admin, q="card declined", order="newest").first_page()),
        ("search '退款' (staff, newest first)", lambda: queue_query(admin, q="退款", order="newest").first_page()),
        ("search 'カード' (staff, newest first)", lambda: queue_query(admin, q="カード", order="newest").first_page()),
    ]
    print(f"  load average before measuring: {os.getloadavg()[0]:.1f}", flush=True)
    results = []
    for label, build in cases:
        p50, p95, count = timed(db, build, runs)
        results.append((label, p50, p95, count))
        print(f"  {label:<66} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   ({count} rows)", flush=True)
    return results


# --- driver ---------------------------------------------------------------------------------------

def run_one(kind, args, texts, translated, now):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    if kind == "sqlite":
        workdir = tempfile.mkdtemp(prefix="tandem-bench-")
        url = f"sqlite:///{workdir}/bench.db"
    else:
        url = args.pg_url
        fresh_postgres(url)
    app = create_app({"TANDEM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": False, "SCHEDULER_IN_PROCESS": False})
    print(f"\n== {kind}: {url}", flush=True)
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        seed_small_tables(db, args.tickets, now)
        chunks = generate(args.tickets, texts, translated, now)
        conn = db.session.connection()
        (load_sqlite if kind == "sqlite" else load_postgres)(conn, chunks)
        db.session.commit()
        # Planner statistics (and, on PostgreSQL, the visibility map for index-only scans).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("ANALYZE" if kind == "sqlite" else "VACUUM ANALYZE")
        print(f"  loaded {args.tickets:,} tickets in {time.perf_counter() - start:.0f} s", flush=True)
        if kind == "sqlite":
            size = os.path.getsize(url.removeprefix("sqlite:///")) / 2**20
            print(f"  database file {size:,.0f} MB", flush=True)
        results = measure(db, args.runs, now, args.tickets)
        db.session.remove()
        db.engine.dispose()
    if kind == "sqlite" and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def parse_scale_args(prog, description, argv=None):
    """The options every ticket-scale benchmark takes, and the texts it loads from --data."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/tandem_bench")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file (its path is printed)")
    args = parser.parse_args(argv)
    if args.tickets < 1000:
        parser.error("--tickets must be at least 1000")
    try:
        texts, translated = load_texts(args.data)
    except OSError as exc:
        parser.exit(1, f"cannot read the data folder {args.data!r}: {exc}\n")
    return args, texts, translated


def main(argv=None):
    args, texts, translated = parse_scale_args("python -m bench.queue_data", __doc__.split("\n\n")[0], argv)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    print(f"Tandem queue benchmark: {args.tickets:,} tickets, {args.runs} runs per query; {machine()}", flush=True)
    figures = {}
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        figures[kind] = run_one(kind, args, texts, translated, now)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "tickets": args.tickets, "figures": {
            kind: [dict(query=label, p50_ms=round(p50, 2), p95_ms=round(p95, 2), rows=count)
                   for label, p50, p95, count in rows] for kind, rows in figures.items()}}, indent=2))


if __name__ == "__main__":
    main()
