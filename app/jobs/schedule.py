"""Periodic jobs: one schedule, run by `flask scheduler` (RQ cron) or the in-process thread.

Time is cut into ticks of each job's interval (aligned on the epoch). Whoever runs a job first in
a tick claims it with a conditional UPDATE on `periodic_ticks`, so two processes (web processes
with the embedded scheduler, or two `flask scheduler` by mistake) never run the same tick.
"""

import logging
import os
import socket
import threading
import time
import traceback
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.base import utcnow
from app.models.jobs import PeriodicTick

log = logging.getLogger(__name__)

# name of a registered job → (interval in seconds, queue)
PERIODIC_JOBS = {}


def periodic(name, every, queue="default"):
    if every < 1:
        raise ValueError(f"periodic job {name!r} needs an interval of at least one second")
    PERIODIC_JOBS[name] = (int(every), queue)


def _me():
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def tick_start(interval, now):
    """Start of the tick `now` falls in."""
    seconds = int(now.timestamp()) // interval * interval
    return datetime.fromtimestamp(seconds, timezone.utc)


def claim_tick(name, interval, now=None):
    """True when the caller may run `name` now: exactly one claimant wins each tick. Commits."""
    now = now or utcnow()
    if db.session.get(PeriodicTick, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(PeriodicTick(name=name))
        except IntegrityError:  # another process created it first
            pass
    won = db.session.execute(
        update(PeriodicTick)
        .where(PeriodicTick.name == name)
        .where(or_(PeriodicTick.last_run_at.is_(None), PeriodicTick.last_run_at < tick_start(interval, now)))
        .values(last_run_at=now, last_run_by=_me())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(won)


def run_periodic(name, now=None):
    """Run one periodic job if its tick is still free (the RQ cron target). True when it ran.

    A failure is logged and recorded as a failed job, so admins see it and can retry it.
    """
    from app.jobs.core import _lookup, job_context, record_failure

    interval, _ = PERIODIC_JOBS[name]
    with job_context():
        if not claim_tick(name, interval, now):
            return False
        try:
            fn, _ = _lookup(name)
            fn()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("periodic job %s failed", name)
            record_failure(name, [], traceback.format_exc(limit=30))
            db.session.commit()
            return False
        return True


def run_due_periodic_jobs(now=None):
    """One pass of the in-process scheduler: run every periodic job whose tick this process wins."""
    ran = []
    for name in sorted(PERIODIC_JOBS):
        try:
            if run_periodic(name, now):
                ran.append(name)
        except Exception:  # the database is unreachable: the next pass tries again
            log.exception("periodic job %s could not be claimed", name)
    return ran


def _scheduler_pass(app):
    from app.jobs.core import run_inline_jobs

    with app.app_context():
        run_due_periodic_jobs()
        run_inline_jobs()


def start_scheduler_thread(app, poll_seconds=5):
    """Start the embedded scheduler once per process (a daemon thread)."""
    if app.extensions.get("tandem_scheduler_thread"):
        return
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                _scheduler_pass(app)
            except Exception:  # keep the thread alive: the next pass retries
                log.exception("in-process scheduler pass failed")
            stop.wait(poll_seconds)

    thread = threading.Thread(target=loop, name="tandem-scheduler", daemon=True)
    app.extensions["tandem_scheduler_thread"] = (thread, stop)
    thread.start()


def run_scheduler_forever(poll_seconds=5):
    """`flask scheduler` without Redis: the same loop in the foreground."""
    app = current_app._get_current_object()
    log.info("in-process scheduler running (no REDIS_URL); jobs: %s", ", ".join(sorted(PERIODIC_JOBS)))
    while True:
        try:
            _scheduler_pass(app)
        except Exception:
            log.exception("scheduler pass failed")
        time.sleep(poll_seconds)
