"""One `enqueue()` for every background job.

A job is a row in the `jobs` table written in the same transaction as the action that asked for
it (the outbox). After the commit the row's id goes to RQ (with `REDIS_URL`) or is run in-process
when the application context ends (the embedded default). Jobs take ids, never objects, and are
safe to run twice: a run first claims the row with one conditional UPDATE.
"""

import logging
import traceback
from datetime import timedelta

from flask import current_app, g, has_app_context
from sqlalchemy import event, func, or_, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.base import utcnow
from app.models.jobs import JobRecord

log = logging.getLogger(__name__)

_REGISTRY = {}
MAX_ATTEMPTS = 3


def job(name, queue="default"):
    """Register a function as a job under a stable name (the name is stored in the database)."""

    def decorator(fn):
        _REGISTRY[name] = (fn, queue)
        fn.job_name = name
        return fn

    return decorator


def registered_jobs():
    return dict(_REGISTRY)


def _lookup(name):
    if name not in _REGISTRY:
        from app.jobs import load_job_modules

        load_job_modules()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"unknown job {name!r}") from None


def enqueue(name, *args, queue=None):
    """Record a job in the current transaction; it is dispatched once that transaction commits."""
    if callable(name):
        name = name.job_name
    _, default_queue = _lookup(name)
    record = JobRecord(name=name, args=list(args), queue=queue or default_queue)
    db.session.add(record)
    return record


# --- dispatch after commit -------------------------------------------------------------------

def _new_job_ids(session):
    return session.info.setdefault("tandem_job_ids", [])


@event.listens_for(Session, "after_flush")
def _collect_new_jobs(session, flush_context):
    for obj in session.new:
        if isinstance(obj, JobRecord):
            _new_job_ids(session).append((obj.id, obj.queue))


@event.listens_for(Session, "after_rollback")
def _forget_new_jobs(session):
    session.info.pop("tandem_job_ids", None)


@event.listens_for(Session, "after_commit")
def _dispatch_new_jobs(session):
    ids = session.info.pop("tandem_job_ids", None)
    if not ids or not has_app_context():
        return
    for job_id, queue in ids:
        dispatch(job_id, queue)


def dispatch(job_id, queue="default"):
    """Hand a recorded job to RQ, or schedule it to run in-process; never raises."""
    app = current_app
    if app.config.get("REDIS_URL"):
        try:
            from app.jobs.rq import rq_enqueue

            rq_enqueue(job_id, queue)
        except Exception as exc:  # Redis down: the row stays pending and the requeue job resends it.
            log.warning("could not enqueue job %s on Redis (%s); it will be re-enqueued", job_id, exc)
        return
    if app.config.get("JOBS_DEFER_INLINE", False):
        return
    g.setdefault("tandem_inline_jobs", []).append(job_id)


def run_inline_jobs(exc=None):
    """Teardown hook: run the in-process jobs this app context recorded, including those they add."""
    if not has_app_context():
        return
    rounds = 0
    while g.get("tandem_inline_jobs") and rounds < 50:
        rounds += 1
        ids, g.tandem_inline_jobs = g.tandem_inline_jobs, []
        for job_id in ids:
            execute_job(job_id)


# --- execution -------------------------------------------------------------------------------

def execute_job(job_id):
    """Run one recorded job if nobody else has it; record the outcome. Returns the final status."""
    now = utcnow()
    try:
        claimed = db.session.execute(
            update(JobRecord)
            .where(JobRecord.id == job_id, JobRecord.status.in_(("pending", "failed")))
            .values(status="running", started_at=now, attempts=JobRecord.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not claimed:
            return None
        record = db.session.get(JobRecord, job_id)
        fn, _ = _lookup(record.name)
        args = list(record.args or [])
        try:
            fn(*args)
            db.session.commit()
        except Exception:
            db.session.rollback()
            error = traceback.format_exc(limit=20)
            log.exception("job %s (%s) failed", job_id, record.name if record else "?")
            _finish(job_id, "failed", error)
            return "failed"
        _finish(job_id, "done", None)
        return "done"
    finally:
        db.session.remove()


def _finish(job_id, status, error):
    db.session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id)
        .values(status=status, last_error=error, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def retry_job(job_id):
    """Put a failed job back in the queue (admin's retry button)."""
    record = db.session.get(JobRecord, job_id)
    if record is None or record.status != "failed":
        return False
    record.status = "pending"
    record.last_error = None
    _new_job_ids(db.session).append((record.id, record.queue))
    return True


@job("jobs.requeue_dropped", queue="high")
def requeue_dropped_jobs():
    """Periodic: resend jobs that Redis lost or a dead worker left, and retry failed ones."""
    now = utcnow()
    horizon = now - timedelta(seconds=current_app.config["JOB_RETRY_AFTER_SECONDS"])
    stale = db.session.scalars(
        db.select(JobRecord)
        .where(
            or_(
                (JobRecord.status == "pending")
                & (func.coalesce(JobRecord.enqueued_at, JobRecord.created_at) < horizon),
                (JobRecord.status == "running") & (JobRecord.started_at < horizon),
                (JobRecord.status == "failed")
                & (JobRecord.attempts < MAX_ATTEMPTS)
                & (JobRecord.finished_at < horizon),
            )
        )
        .order_by(JobRecord.id)
        .limit(1000)
    ).all()
    for record in stale:
        if record.status == "running":
            record.status = "pending"
        record.enqueued_at = now  # wait a full period before resending again
    db.session.commit()
    for record in stale:
        dispatch(record.id, record.queue)
    return len(stale)
