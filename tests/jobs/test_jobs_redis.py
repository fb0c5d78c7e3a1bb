"""Production mode against real services: PostgreSQL, Redis, `flask worker` and `flask scheduler` processes.

Skipped unless TEST_DATABASE_URL and TEST_REDIS_URL are set. Every test uses its own RQ queue
prefix, so parallel runs on one Redis never take each other's jobs.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import JobRecord, OutboundMail, PeriodicTick, Ticket, User
from app.models.base import utcnow

REDIS_URL = os.environ.get("TEST_REDIS_URL")
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: "Redis is down"
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and REDIS_URL),
        reason="set TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL to run the real worker/scheduler tests",
    ),
]


@pytest.fixture
def rq_app(app, monkeypatch):
    """The test app in production's job mode: jobs go to RQ under a prefix of their own."""
    from redis import Redis

    prefix = f"tandem-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "RQ_QUEUE_PREFIX", prefix)
    app.extensions.pop("tandem_redis", None)
    yield app
    app.extensions.pop("tandem_redis", None)
    conn = Redis.from_url(REDIS_URL)
    keys = list(conn.scan_iter(f"*{prefix}*", count=1000))
    if keys:
        conn.delete(*keys)
    conn.close()


@pytest.fixture
def start_process(rq_app, tmp_path):
    """Start `flask --app wsgi <command>` as a real process; every one is stopped after the test."""
    started = []

    def start(*command, **env_overrides):
        env = {
            **os.environ,
            "TANDEM_ENV": "development",
            "DATABASE_URL": rq_app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": REDIS_URL,
            "RQ_QUEUE_PREFIX": rq_app.config["RQ_QUEUE_PREFIX"],
            "TANDEM_INSTANCE_PATH": str(tmp_path / "instance"),
            "BASE_URL": rq_app.config["BASE_URL"],
            "RATELIMIT_ENABLED": "false",
            "MAIL_SERVER": "",
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in env_overrides.items()},
        }
        log_path = tmp_path / f"{command[0]}-{len(started)}.log"
        log = open(log_path, "w")
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *command],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((proc, log, log_path))
        return proc

    def logs():
        return "\n".join(f"--- {path.name} ---\n{path.read_text()[-3000:]}" for _p, _l, path in started)

    start.logs = logs
    yield start
    for proc, _log, _path in started:
        if proc.poll() is None:
            proc.terminate()
    for proc, log, _path in started:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _submit(client, email="ana@acme.example"):
    response = client.post("/tickets/new", data={
        "name": "Ana Lima", "email": email, "subject": "Export is empty", "body": "The CSV export has no rows.",
    })
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return _db.session.scalar(select(Ticket.id).join(User, Ticket.requester_id == User.id).where(User.email == email))


def _mails(app, ticket_id):
    with app.app_context():
        return _db.session.execute(
            select(OutboundMail.id, OutboundMail.status).where(OutboundMail.ticket_id == ticket_id)
        ).all()


def _job(app, name):
    with app.app_context():
        return _db.session.execute(
            select(JobRecord.id, JobRecord.status, JobRecord.attempts).where(JobRecord.name == name)
        ).all()


def test_a_real_worker_runs_the_jobs_of_a_ticket_created_through_the_app(rq_app, db, client, start_process,
                                                                        wait_for):
    start_process("worker")
    ticket_id = _submit(client)
    wait_for(lambda: _mails(rq_app, ticket_id) and _mails(rq_app, ticket_id)[0][1] == "outbox",
             message=lambda: f"the received mail in the outbox\n{start_process.logs()}")
    assert len(_mails(rq_app, ticket_id)) == 1
    assert [(s, a) for _i, s, a in _job(rq_app, "support.ticket_created")] == [("done", 1)]
    wait_for(lambda: [(s, a) for _i, s, a in _job(rq_app, "mail.deliver")] == [("done", 1)],
             message="the delivery job to be done")


def test_jobs_recorded_while_redis_is_down_are_resent_and_run_once(rq_app, db, client, start_process, wait_for,
                                                                   monkeypatch):
    from app.jobs.core import requeue_dropped_jobs
    from app.jobs.rq import redis_connection, rq_enqueue, rq_job_id

    start_process("worker")
    monkeypatch.setitem(rq_app.config, "REDIS_URL", CLOSED_REDIS)
    ticket_id = _submit(client)  # the page is answered although Redis is down
    [(job_id, status, attempts)] = _job(rq_app, "support.ticket_created")
    assert (status, attempts) == ("pending", 0)
    time.sleep(1.5)
    assert _job(rq_app, "support.ticket_created")[0][1] == "pending" and _mails(rq_app, ticket_id) == []

    monkeypatch.setitem(rq_app.config, "REDIS_URL", REDIS_URL)  # Redis is back
    later = utcnow() + timedelta(seconds=rq_app.config["JOB_RETRY_AFTER_SECONDS"] + 1)
    with rq_app.app_context():
        assert requeue_dropped_jobs(now=later) == 1
    wait_for(lambda: _mails(rq_app, ticket_id) and _mails(rq_app, ticket_id)[0][1] == "outbox",
             message=lambda: f"the resent job's mail\n{start_process.logs()}")

    # Nothing is left to resend, and a duplicate delivery from Redis changes nothing.
    with rq_app.app_context():
        assert requeue_dropped_jobs(now=later + timedelta(hours=1)) == 0
        from rq.job import Job

        rq_enqueue(job_id)
        rq_enqueue(job_id)
        conn = redis_connection()
        wait_for(lambda: Job.fetch(rq_job_id(job_id), connection=conn).get_status() == "finished",
                 message="the duplicate to be processed")
        from rq import Queue
        from app.jobs.rq import queue_name

        wait_for(lambda: Queue(queue_name("default"), connection=conn).count == 0, message="an empty queue")
    time.sleep(0.5)
    assert len(_mails(rq_app, ticket_id)) == 1
    assert [(s, a) for _i, s, a in _job(rq_app, "support.ticket_created")] == [("done", 1)]


def test_a_failed_job_shows_for_admins_and_the_retry_button_reruns_it_on_the_worker(
        rq_app, db, client, make_user, login, start_process, start_smtp, free_port, wait_for):
    port = free_port()
    start_process("worker", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)  # nobody listens on the port yet
    ticket_id = _submit(client)
    wait_for(lambda: [s for _i, s, _a in _job(rq_app, "mail.deliver")] == ["failed"],
             message=lambda: f"the delivery to fail\n{start_process.logs()}")
    [(job_id, _s, _a)] = _job(rq_app, "mail.deliver")

    login(make_user("admin"))
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert f"/admin/jobs/{job_id}/retry" in page and "ConnectionRefusedError" in page

    inbox = start_smtp(port)  # the mail server is back
    assert client.post(f"/admin/jobs/{job_id}/retry").status_code == 303
    wait_for(lambda: _mails(rq_app, ticket_id)[0][1] == "sent",
             message=lambda: f"the retried delivery\n{start_process.logs()}")
    assert len(inbox.envelopes) == 1 and inbox.envelopes[0].rcpt_tos == ["ana@acme.example"]
    assert [(s, a) for _i, s, a in _job(rq_app, "mail.deliver")] == [("done", 2)]


def test_schedulers_enqueue_periodic_jobs_and_each_tick_runs_once(rq_app, db, start_process, wait_for,
                                                                  monkeypatch):
    from redis import Redis
    from rq.cron import get_cron_job_ids
    from rq.job import Job

    from app.jobs.schedule import PERIODIC_JOBS

    # A delivery whose dispatch Redis lost an hour ago: the periodic requeue job must resend it.
    monkeypatch.setitem(rq_app.config, "REDIS_URL", CLOSED_REDIS)
    mail = OutboundMail(to_addr="ana@acme.example", subject="Lost", body_text="Lost mail", status="queued")
    db.session.add(mail)
    db.session.flush()
    db.session.add(JobRecord(name="mail.deliver", args=[mail.id], status="pending",
                             created_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    mail_id = mail.id
    monkeypatch.setitem(rq_app.config, "REDIS_URL", REDIS_URL)

    start_process("worker")
    start_process("scheduler")
    start_process("scheduler")  # a second one by mistake: still one run per tick

    def mail_status():
        with rq_app.app_context():
            return _db.session.get(OutboundMail, mail_id).status

    wait_for(lambda: mail_status() == "outbox", timeout=30,
             message=lambda: f"the periodic requeue to resend the lost job\n{start_process.logs()}")

    def ticks():
        with rq_app.app_context():
            return {t.name: (t.last_run_at, t.last_run_by) for t in _db.session.scalars(select(PeriodicTick))}

    # Every periodic job ran (the low queue's close_solved after the high queue's requeue).
    wait_for(lambda: set(ticks()) == set(PERIODIC_JOBS), message=lambda: f"every tick claimed: {ticks()}")
    assert all(run_at is not None and by for run_at, by in ticks().values())

    conn = Redis.from_url(REDIS_URL)
    prefix = rq_app.config["RQ_QUEUE_PREFIX"]
    interval = PERIODIC_JOBS["jobs.requeue_dropped"][0]

    def runs():
        jobs = [Job.fetch(i, connection=conn) for i in get_cron_job_ids(f"{prefix}:jobs.requeue_dropped", conn)]
        return [j for j in jobs if j.get_status() == "finished"]

    finished = wait_for(lambda: len(runs()) >= 2 and runs(), message="both schedulers' first requeue runs")
    by_tick = {}
    for run in finished:
        started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=timezone.utc)
        tick = int(started.timestamp()) // interval
        by_tick.setdefault(tick, []).append(run.return_value())
    assert all(results.count(True) <= 1 for results in by_tick.values()), by_tick
    assert sum(results.count(True) for results in by_tick.values()) >= 1
    conn.close()
