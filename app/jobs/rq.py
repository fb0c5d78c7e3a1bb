"""RQ transport: queues on Redis, the worker and the cron scheduler.

Every name on Redis carries `RQ_QUEUE_PREFIX` ("tandem" by default), so several deployments or
test runs can share one Redis without taking each other's jobs.
"""

import re
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app
from redis import Redis
from rq import Queue


def redis_connection():
    """One client per app and URL (the client holds a connection pool)."""
    app = current_app
    url = app.config["REDIS_URL"]
    cached = app.extensions.get("tandem_redis")
    if cached is None or cached[0] != url:
        cached = (url, Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5))
        app.extensions["tandem_redis"] = cached
    return cached[1]


def prefix():
    return current_app.config.get("RQ_QUEUE_PREFIX") or "tandem"


def queue_name(name):
    return f"{prefix()}:{name}"


def rq_job_id(job_id):
    # RQ ids allow letters, digits, "_" and "-"; the prefix keeps two deployments' job 1 apart.
    return f"{re.sub(r'[^A-Za-z0-9_-]', '-', prefix())}-job-{job_id}"


_BATCH = ContextVar("tandem_rq_batch", default=None)


@contextmanager
def rq_batch():
    """rq_enqueue() calls inside go to Redis in one pipelined round trip when the block ends (a
    commit often dispatches several jobs). Errors surface at that end."""
    pipe = redis_connection().pipeline()
    token = _BATCH.set(pipe)
    try:
        yield
    finally:
        _BATCH.reset(token)
    if len(pipe):
        pipe.execute()


def _queue(name):
    """The RQ queue object, one per app, URL and name (building one per job was measurable)."""
    app = current_app
    key = (app.config["REDIS_URL"], prefix(), name)
    queues = app.extensions.setdefault("tandem_rq_queues", {})
    queue = queues.get(key)
    if queue is None:
        queue = queues[key] = Queue(queue_name(name), connection=redis_connection())
    return queue


def rq_enqueue(job_id, queue="default", more=()):
    """Send a job row (and `more` rows of the same queue, run after it by the same RQ job)."""
    # A fixed RQ id per job row: sending a row twice (the requeue job) reuses it, and the claim in
    # execute_job makes a second delivery a no-op.
    batch = _BATCH.get()
    _queue(queue).enqueue_call(
        "app.jobs.core.run_from_queue",
        args=(job_id, *more),
        job_id=rq_job_id(job_id),
        timeout=current_app.config.get("JOB_TIMEOUT_SECONDS", 600),
        result_ttl=300,
        failure_ttl=7 * 24 * 3600,
        pipeline=batch,
    )


def run_worker(queues, burst=False):
    """Run an RQ worker in this process; the caller holds the application context."""
    from rq.worker import SimpleWorker

    names = [queue_name(q) for q in (queues or current_app.config["RQ_QUEUES"])]
    conn = redis_connection()
    # SimpleWorker runs jobs in this process (no fork), so the app and its connection pools stay
    # warm; execute_job gives every job a fresh application context and session.
    worker = SimpleWorker([Queue(n, connection=conn) for n in names], connection=conn)
    return worker.work(burst=burst, with_scheduler=False)


def register_periodic_jobs(scheduler):
    """Register every periodic job on an RQ CronScheduler; each run claims its tick in the database."""
    from app.jobs.schedule import PERIODIC_JOBS, run_periodic

    for name, (interval, queue) in sorted(PERIODIC_JOBS.items()):
        scheduler.register(run_periodic, queue_name(queue), args=(name,), interval=interval,
                           name=f"{prefix()}:{name}", result_ttl=300)
    return scheduler


def run_cron():
    """Enqueue the periodic jobs on schedule (one process per deployment; a second is harmless)."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_connection())
    register_periodic_jobs(scheduler)
    scheduler.start()
