"""The sweep job on a real `flask worker` (RQ on Redis, PostgreSQL)."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.jobs import enqueue
from app.models import JobRecord, OutboundMail, TicketSlaClock
from app.models.base import utcnow
from app.support.services import assign_ticket, create_ticket

REDIS_URL = os.environ.get("TEST_REDIS_URL")
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and REDIS_URL),
        reason="set TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL to run the sweep on a real worker",
    ),
]


@pytest.fixture
def worker(app, monkeypatch, tmp_path):
    """A `flask worker` process on a queue prefix of its own; the app sends its jobs there."""
    from redis import Redis

    prefix = f"tandem-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "RQ_QUEUE_PREFIX", prefix)
    app.extensions.pop("tandem_redis", None)
    env = {**os.environ, "TANDEM_ENV": "development", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": REDIS_URL, "RQ_QUEUE_PREFIX": prefix, "TANDEM_INSTANCE_PATH": str(tmp_path / "instance"),
           "BASE_URL": app.config["BASE_URL"], "RATELIMIT_ENABLED": "false", "MAIL_SERVER": "",
           "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=REPO, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            yield lambda: log_path.read_text()[-3000:]
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    app.extensions.pop("tandem_redis", None)
    conn = Redis.from_url(REDIS_URL)
    keys = list(conn.scan_iter(f"*{prefix}*", count=1000))
    if keys:
        conn.delete(*keys)
    conn.close()


def wait_until(predicate, logs, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for the worker\n{logs()}")
        time.sleep(0.2)


def test_the_sweep_job_breaches_and_escalates_on_a_real_worker(app, db, worker, make_user, make_calendar,
                                                                make_policy):
    make_calendar(tz="UTC", hours={str(d): [["00:00", "24:00"]] for d in range(7)})
    make_policy(targets={"first_reply": 60}, escalation={"notify_assignee": True})
    agent = make_user("agent", email="agent@example.com")
    ticket = create_ticket(make_user("customer"), body="Help", now=utcnow() - timedelta(hours=2), notify=False)
    assign_ticket(ticket, agent, agent)
    db.session.commit()
    ticket_id = ticket.id
    enqueue("sla.sweep")
    db.session.commit()

    def breach_mailed():
        with app.app_context():
            return _db.session.execute(select(OutboundMail.status).where(
                OutboundMail.ticket_id == ticket_id, OutboundMail.kind == "sla_breach")).scalars().all() == ["outbox"]

    wait_until(breach_mailed, worker)
    with app.app_context():
        clock = _db.session.scalar(select(TicketSlaClock).where(TicketSlaClock.ticket_id == ticket_id))
        assert clock.breached_at is not None and clock.escalated_at is not None
        assert _db.session.scalars(select(JobRecord.status).where(JobRecord.name == "sla.sweep")).all() == ["done"]
    # A second sweep on the worker finds nothing left to do.
    enqueue("sla.sweep")
    db.session.commit()

    def both_done():
        with app.app_context():
            return _db.session.scalars(select(JobRecord.status).where(JobRecord.name == "sla.sweep")).all() == [
                "done", "done"]

    wait_until(both_done, worker)
    with app.app_context():
        assert len(_db.session.scalars(select(OutboundMail.id).where(OutboundMail.kind == "sla_breach")).all()) == 1
