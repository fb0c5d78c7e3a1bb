"""RQ transport: queues on Redis, the worker and the cron scheduler."""

from flask import current_app
from redis import Redis
from rq import Queue


def redis_connection():
    app = current_app
    conn = app.extensions.get("tandem_redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions["tandem_redis"] = conn
    return conn


def queue_name(name):
    return f"{current_app.config.get('RQ_QUEUE_PREFIX', 'tandem')}:{name}"


def rq_enqueue(job_id, queue="default"):
    Queue(queue_name(queue), connection=redis_connection()).enqueue(
        "app.jobs.core.execute_job",
        job_id,
        job_id=f"tandem-job-{job_id}",
        result_ttl=300,
        failure_ttl=7 * 24 * 3600,
    )


def run_worker(queues, burst=False):
    """Run an RQ worker in this process; the caller holds the application context."""
    from rq.worker import SimpleWorker

    names = [queue_name(q) for q in (queues or current_app.config["RQ_QUEUES"])]
    conn = redis_connection()
    # SimpleWorker runs jobs in this process, which keeps the app context and connection pool.
    worker = SimpleWorker([Queue(n, connection=conn) for n in names], connection=conn)
    return worker.work(burst=burst, with_scheduler=False)


def run_cron():
    """Enqueue the periodic jobs on schedule (one process per deployment)."""
    from rq.cron import CronScheduler

    from app.jobs.schedule import PERIODIC_JOBS, run_periodic

    scheduler = CronScheduler(connection=redis_connection(), name=f"tandem-{current_app.config['TANDEM_ENV']}")
    for name, (interval, queue) in PERIODIC_JOBS.items():
        scheduler.register(run_periodic, queue_name(queue), args=(name,), interval=interval, name=name)
    scheduler.start()
