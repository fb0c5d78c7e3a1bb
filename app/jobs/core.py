"""One `enqueue()` for every background job.

A job is a row in the `jobs` table written in the same transaction as the action that asked for
it (the outbox). After that transaction commits, the row's id goes to RQ (with `REDIS_URL`) or is
run in-process when the application context ends (the embedded default); if the transaction rolls
back, the row never existed and nothing is dispatched. Jobs take ids, never objects, and are safe
to run twice: a run first claims the row with one conditional UPDATE, so only one run does the work.
"""

import json
import logging
import traceback
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, g, has_app_context
from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.base import utcnow
from app.models.jobs import JobRecord

log = logging.getLogger(__name__)

_REGISTRY = {}
MAX_ATTEMPTS = 3  # automatic retries by the requeue job; the admin's retry button has no limit
MAX_INLINE_JOBS = 1000  # per context, so a job that keeps enqueueing itself cannot pin a web process
_DISPATCH_KEY = "tandem_job_ids"  # session.info: [(transaction, job id, queue)] waiting for the commit
_INLINE_KEY = "tandem_inline_jobs"  # g: job ids to run in-process when the context ends
_FOLLOW_UP_KEY = "tandem_follow_ups"  # g of a job run from RQ: {"queue", "ids"} of what it recorded
MAX_FOLLOW_UPS = 100  # per RQ job; more go back to Redis so one delivery cannot hog a worker
MAX_JOBS_PER_RQ_JOB = 5  # jobs of one commit sent as one RQ job (one Redis write instead of several)


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
    try:
        json.dumps(args)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job {name!r} takes ids and plain values, not {args!r}") from exc
    record = JobRecord(name=name, args=list(args), queue=queue or default_queue, status="pending", attempts=0)
    db.session.add(record)
    return record


_jobs_table = JobRecord.__table__
_INSERT_JOB = _jobs_table.insert().returning(_jobs_table.c.id)


def job_row(name, *args, queue=None):
    """The values of a pending job row, for hot paths that write the row themselves (then they hand
    its id to `written_job`)."""
    _, default_queue = _lookup(name)
    try:
        json.dumps(args)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job {name!r} takes ids and plain values, not {args!r}") from exc
    return {"name": name, "args": list(args), "queue": queue or default_queue, "status": "pending", "attempts": 0,
            "created_at": utcnow()}


def written_job(job_id, queue):
    """A job row the caller wrote in the session's transaction: dispatched on commit like the others."""
    _remember(db.session(), job_id, queue)


def enqueue_now(name, *args, queue=None):
    """enqueue() for hot paths: the row is written at once through the session's connection (no
    unit of work at the commit) and its id returned; same transaction, same dispatch on commit."""
    row = job_row(name, *args, queue=queue)
    session = db.session()
    job_id = session.connection().execute(_INSERT_JOB, row).scalar_one()
    _remember(session, job_id, row["queue"])
    return job_id


# --- dispatch after commit -------------------------------------------------------------------
#
# Ids are remembered per transaction: releasing a SAVEPOINT fires `after_commit` too, but only the
# outermost commit makes the rows visible to a worker; rolling back a SAVEPOINT forgets only the
# jobs recorded inside it.

def _remember(session, job_id, queue):
    txn = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_DISPATCH_KEY, []).append((txn, job_id, queue))


@event.listens_for(Session, "after_flush")
def _collect_new_jobs(session, flush_context):
    for obj in session.new:
        if isinstance(obj, JobRecord):
            _remember(session, obj.id, obj.queue)


@event.listens_for(Session, "after_commit")
def _dispatch_new_jobs(session):
    if session.in_nested_transaction():
        released = session.get_nested_transaction()
        parent = released.parent
        entries = session.info.get(_DISPATCH_KEY, [])
        session.info[_DISPATCH_KEY] = [(parent if t is released else t, i, q) for t, i, q in entries]
        return
    entries = session.info.pop(_DISPATCH_KEY, None)
    if not entries or not has_app_context():
        return
    if current_app.config.get("REDIS_URL") and g.get(_FOLLOW_UP_KEY) is None:
        _dispatch_batch(entries)
        return
    for _txn, job_id, queue in entries:
        dispatch(job_id, queue)


def _dispatch_batch(entries):
    """The jobs of one commit go to Redis in one round trip, one RQ job per queue (a worker runs
    them one after the other, as it runs follow-ups)."""
    from app.jobs import rq

    per_queue = {}
    for _txn, job_id, queue in entries:
        per_queue.setdefault(queue, []).append(job_id)
    try:
        with rq.rq_batch():
            for queue, ids in per_queue.items():
                # A few per RQ job: each RQ job has one timeout for all it runs.
                for start in range(0, len(ids), MAX_JOBS_PER_RQ_JOB):
                    first, *more = ids[start:start + MAX_JOBS_PER_RQ_JOB]
                    if more:
                        rq.rq_enqueue(first, queue, more=more)
                    else:
                        rq.rq_enqueue(first, queue)
    except Exception as exc:  # Redis down: the rows stay pending and the requeue job resends them.
        log.warning("could not enqueue jobs %s on Redis (%s); they will be re-enqueued",
                    [job_id for _t, job_id, _q in entries], exc)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_jobs(session, previous_transaction):
    if previous_transaction.nested:
        entries = session.info.get(_DISPATCH_KEY, [])
        session.info[_DISPATCH_KEY] = [e for e in entries if e[0] is not previous_transaction]


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted_jobs(session, transaction):
    # Whatever is left when the outermost transaction ends (rollback, close) was never committed.
    if transaction.parent is None:
        session.info.pop(_DISPATCH_KEY, None)


def dispatch(job_id, queue="default"):
    """Hand a committed job to RQ, or schedule it to run in-process; never raises."""
    app = current_app
    if app.config.get("REDIS_URL"):
        here = g.get(_FOLLOW_UP_KEY)
        if here is not None and here["queue"] == queue:
            here["ids"].append(job_id)  # a follow-up of the job this worker runs: it runs next, here
            return
        try:
            from app.jobs.rq import rq_enqueue

            rq_enqueue(job_id, queue)
        except Exception as exc:  # Redis down: the row stays pending and the requeue job resends it.
            log.warning("could not enqueue job %s on Redis (%s); it will be re-enqueued", job_id, exc)
        return
    if app.config.get("JOBS_DEFER_INLINE", False):
        return
    g.setdefault(_INLINE_KEY, []).append(job_id)


@contextmanager
def job_context():
    """A fresh application context (its own session and `g`) for one job, as on an RQ worker.

    The job never sees or commits the caller's unfinished work; in-process jobs it enqueues are
    handed to the caller's context, which runs them next.
    """
    app = current_app._get_current_object()
    spawned = []
    try:
        with app.app_context():
            try:
                yield
            finally:
                spawned = g.pop(_INLINE_KEY, [])
    finally:
        if spawned:
            g.setdefault(_INLINE_KEY, []).extend(spawned)


def run_inline_jobs(exc=None, limit=MAX_INLINE_JOBS):
    """Teardown hook: run the in-process jobs this context recorded, and the jobs they record.

    Never raises: it runs after the response is built, and a job's failure is recorded on its row.
    `limit=None` runs them all (a command that made the jobs and waits for them, not a request).
    """
    if not has_app_context() or not g.get(_INLINE_KEY):
        return 0
    # Jobs see committed work only; whatever the caller left uncommitted would just hold the locks
    # the jobs need (and would be rolled back when the context ends anyway).
    db.session.rollback()
    ran = 0
    while g.get(_INLINE_KEY):
        if limit is not None and ran >= limit:
            left = g.pop(_INLINE_KEY)
            log.warning("%d in-process jobs left to the requeue job: %s…", len(left), left[:10])
            break
        job_id = g.tandem_inline_jobs.pop(0)
        ran += 1
        try:
            execute_job(job_id)
        except Exception:  # the database itself failed; the row stays pending for the requeue job
            log.exception("in-process job %s could not run", job_id)
    return ran


# --- execution -------------------------------------------------------------------------------

def execute_job(job_id, now=None):
    """Run one recorded job if nobody else has it; record the outcome.

    Returns "done", "failed", or None when the job was not pending (already run, running
    elsewhere, or never committed). This is what RQ workers call.
    """
    with job_context():
        return _execute(job_id, now or utcnow())


def run_from_queue(job_id, *more):
    """What RQ workers run: the job (and `more` jobs of its commit sent with it), then the
    follow-ups they recorded for the same queue, here.

    A follow-up (the delivery of the mail a job wrote) skips a round trip through Redis and a
    second pass through the worker. Its row is committed before it runs, so a worker that dies
    first leaves it pending and the requeue job resends it, as when Redis loses a job.
    """
    first, todo, ran = None, [job_id, *more], 0
    while todo and ran < MAX_FOLLOW_UPS:
        current = todo.pop(0)
        with job_context():
            here = g.setdefault(_FOLLOW_UP_KEY, {"queue": None, "ids": []})
            result = _execute(current, utcnow())
            todo.extend(here["ids"])
        first = result if ran == 0 else first
        ran += 1
    for left in todo:
        dispatch(left, here["queue"])  # outside the job's context: to Redis
    return first


def _execute(job_id, now):
    claimed = db.session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status == "pending")
        .values(status="running", started_at=now, finished_at=None, attempts=JobRecord.attempts + 1)
        .returning(JobRecord.name, JobRecord.args, JobRecord.queue)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    db.session.commit()
    if claimed is None:
        return None
    name, args, queue = claimed
    here = g.get(_FOLLOW_UP_KEY)
    if here is not None:
        here["queue"] = queue  # follow-ups for this queue run next on this worker
    try:
        fn, _ = _lookup(name)
        fn(*(args or []))
        # "done" commits with the job's last changes: one commit less, and a job that is marked
        # done always has its work committed.
        _mark(job_id, "done", None)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, name)
        _finish(job_id, "failed", traceback.format_exc(limit=30))
        return "failed"
    return "done"


def _mark(job_id, status, error):
    db.session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id)
        .values(status=status, last_error=error, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _finish(job_id, status, error):
    _mark(job_id, status, error)
    db.session.commit()


def record_failure(name, args, error, now=None):
    """Record a job that failed outside the outbox (a periodic run) so admins see it and can retry."""
    now = now or utcnow()
    _, queue = _lookup(name)
    record = JobRecord(name=name, args=list(args), queue=queue, status="failed", attempts=MAX_ATTEMPTS,
                       last_error=error, started_at=now, finished_at=now)
    db.session.add(record)
    return record


def retry_job(job_id):
    """Put a failed job back in the queue (the admin's retry button); it is dispatched on commit.

    False when the job is not failed (any more): someone else retried it or it is running.
    """
    record = db.session.get(JobRecord, job_id)
    if record is None:
        return False
    changed = db.session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status == "failed")
        .values(status="pending", enqueued_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        db.session.expire(record)
        _remember(db.session(), job_id, record.queue)
    return bool(changed)


def _running_timeout(cfg):
    # A worker kills a job after its timeout, so a job running longer than that lost its worker.
    return max(cfg["JOB_RETRY_AFTER_SECONDS"], cfg.get("JOB_TIMEOUT_SECONDS", 600) + 60)


@job("jobs.requeue_dropped", queue="high")
def requeue_dropped_jobs(now=None):
    """Periodic: resend jobs that Redis lost or a dead worker left, and retry failed ones.

    Returns how many jobs were resent.
    """
    now = now or utcnow()
    cfg = current_app.config
    horizon = now - timedelta(seconds=cfg["JOB_RETRY_AFTER_SECONDS"])
    running_horizon = now - timedelta(seconds=_running_timeout(cfg))
    stale = {
        "pending": func.coalesce(JobRecord.enqueued_at, JobRecord.created_at) < horizon,
        "running": JobRecord.started_at < running_horizon,
        "failed": (JobRecord.attempts < MAX_ATTEMPTS) & (JobRecord.finished_at < horizon),
    }
    candidates = db.session.execute(
        select(JobRecord.id, JobRecord.queue, JobRecord.status)
        .where(or_(*[(JobRecord.status == status) & cond for status, cond in stale.items()]))
        .order_by(JobRecord.id)
        .limit(1000)
    ).all()
    resend = []
    for job_id, queue, status in candidates:
        # Conditional, so a job that moved on since the SELECT (a worker finished it) is left alone.
        changed = db.session.execute(
            update(JobRecord)
            .where(JobRecord.id == job_id, JobRecord.status == status, stale[status])
            .values(status="pending", enqueued_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            resend.append((job_id, queue))
    _prune_done_jobs(now, cfg)
    db.session.commit()
    for job_id, queue in resend:
        dispatch(job_id, queue)
    return len(resend)


def _prune_done_jobs(now, cfg):
    """Finished jobs are kept a while for inspection, then deleted so the outbox stays small."""
    keep = now - timedelta(days=cfg.get("JOB_KEEP_DONE_DAYS", 7))
    old = select(JobRecord.id).where(JobRecord.status == "done", JobRecord.finished_at < keep).limit(5000)
    db.session.execute(
        delete(JobRecord).where(JobRecord.id.in_(old.scalar_subquery())).execution_options(synchronize_session=False)
    )
