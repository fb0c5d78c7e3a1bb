import click
from flask import current_app
from flask.cli import with_appcontext


def register(app):
    @app.cli.command("worker")
    @click.argument("queues", nargs=-1)
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    @with_appcontext
    def worker(queues, burst):
        """Run an RQ worker with the application context (needs REDIS_URL)."""
        from app.cli.common import fail
        from app.jobs.rq import run_worker

        if not current_app.config.get("REDIS_URL"):
            fail("flask worker needs REDIS_URL; without it jobs run inside the web process.")
        run_worker(list(queues), burst=burst)

    @app.cli.command("scheduler")
    @with_appcontext
    def scheduler():
        """Enqueue the periodic jobs on schedule (one per deployment)."""
        if current_app.config.get("REDIS_URL"):
            from app.jobs.rq import run_cron

            run_cron()
        else:
            from app.jobs.schedule import run_scheduler_forever

            run_scheduler_forever()
