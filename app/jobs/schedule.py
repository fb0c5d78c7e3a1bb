"""Periodic jobs: one schedule, run by `flask scheduler` (RQ cron) or the in-process thread.

Whoever runs a tick first claims it with a conditional UPDATE on `periodic_ticks`, so two
processes (or two schedulers by mistake) never run the same tick.
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta

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
    PERIODIC_JOBS[name] = (every, queue)


def _me():
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_tick(name, interval, now=None):
    """True when this process may run `name` now; at most one claimant wins per interval."""
    now = now or utcnow()
    # A little slack so a scheduler firing exactly on the interval is not refused.
    threshold = now - timedelta(seconds=interval) + timedelta(seconds=min(5, interval / 10))
    if db.session.get(PeriodicTick, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(PeriodicTick(name=name))
        except IntegrityError:
            pass
    won = db.session.execute(
        update(PeriodicTick)
        .where(PeriodicTick.name == name)
        .where(or_(PeriodicTick.last_run_at.is_(None), PeriodicTick.last_run_at <= threshold))
        .values(last_run_at=now, last_run_by=_me())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(won)


def run_periodic(name):
    """Run one periodic job if its tick is still free (the RQ cron target)."""
    from app.jobs.core import _lookup

    interval, _ = PERIODIC_JOBS[name]
    try:
        if not claim_tick(name, interval):
            return False
        fn, _ = _lookup(name)
        fn()
        db.session.commit()
        return True
    except Exception:
        db.session.rollback()
        log.exception("periodic job %s failed", name)
        return False
    finally:
        db.session.remove()


def run_due_periodic_jobs():
    """One pass of the in-process scheduler: run every periodic job whose tick this process wins."""
    ran = []
    for name in list(PERIODIC_JOBS):
        if run_periodic(name):
            ran.append(name)
    return ran


def start_scheduler_thread(app, poll_seconds=5):
    """Start the embedded scheduler once per process (a daemon thread)."""
    if app.extensions.get("tandem_scheduler_thread"):
        return
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                with app.app_context():
                    run_due_periodic_jobs()
                    from app.jobs.core import run_inline_jobs

                    run_inline_jobs()
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
        with app.app_context():
            run_due_periodic_jobs()
        time.sleep(poll_seconds)
