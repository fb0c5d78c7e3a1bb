"""`flask worker`, `flask scheduler`, `flask jobs …` and `flask mail …`: the job layer from the shell."""

import json

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.cli.common import fail
from app.extensions import db
from app.models.jobs import JOB_STATES, JobRecord, OutboundMail

jobs = AppGroup("jobs", help="Inspect, retry and resend background jobs.")
mail = AppGroup("mail", help="Read outgoing e-mail.")


def _iso(value):
    return value.isoformat() if value else None


# --- worker and scheduler ----------------------------------------------------------------------

@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(queues, burst):
    """Run an RQ worker with the application context (needs REDIS_URL).

    QUEUES are Tandem's queue names (high, default, low); all of them by default.
    """
    from redis.exceptions import RedisError

    from app.jobs.rq import redis_connection, run_worker

    if not current_app.config.get("REDIS_URL"):
        fail(_("flask worker needs REDIS_URL; without it jobs run inside the web process."))
    known = current_app.config["RQ_QUEUES"]
    unknown = [q for q in queues if q not in known]
    if unknown:
        fail(_("Unknown queue %(name)s; use one of: %(known)s.", name=unknown[0], known=", ".join(known)), code=2)
    try:
        redis_connection().ping()
    except RedisError as exc:
        fail(_("Cannot reach Redis at REDIS_URL (%(error)s).", error=exc.__class__.__name__))
    run_worker(list(queues), burst=burst)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Enqueue the periodic jobs on schedule (one per deployment).

    With REDIS_URL this is RQ's cron scheduler; without it the jobs run in this process.
    """
    if current_app.config.get("REDIS_URL"):
        from redis.exceptions import RedisError

        from app.jobs.rq import redis_connection, run_cron

        try:
            redis_connection().ping()
        except RedisError as exc:
            fail(_("Cannot reach Redis at REDIS_URL (%(error)s).", error=exc.__class__.__name__))
        run_cron()
    else:
        from app.jobs.schedule import run_scheduler_forever

        run_scheduler_forever()


# --- jobs ---------------------------------------------------------------------------------------

def job_as_dict(record):
    return {
        "id": record.id, "name": record.name, "args": record.args, "queue": record.queue,
        "status": record.status, "attempts": record.attempts, "error": record.last_error,
        "created_at": _iso(record.created_at), "started_at": _iso(record.started_at),
        "finished_at": _iso(record.finished_at),
    }


@jobs.command("list")
@click.option("--status", type=click.Choice(JOB_STATES), default="failed", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def list_jobs_command(status, limit, as_json):
    """List jobs in one state, newest first (failed ones by default)."""
    records = db.session.scalars(
        select(JobRecord).where(JobRecord.status == status).order_by(JobRecord.id.desc()).limit(limit)
    ).all()
    if as_json:
        click.echo(json.dumps([job_as_dict(r) for r in records]))
        return
    counts = dict(db.session.execute(select(JobRecord.status, func.count()).group_by(JobRecord.status)).all())
    click.echo("  ".join(f"{s}: {counts.get(s, 0)}" for s in JOB_STATES))
    for r in records:
        last_line = (r.last_error or "").strip().splitlines()[-1:] or [""]
        click.echo(f"{r.id}\t{r.name}\t{json.dumps(r.args)}\tattempts={r.attempts}\t{last_line[0]}")


@jobs.command("retry")
@click.argument("job_id", type=int)
def retry_job_command(job_id):
    """Run a failed job again."""
    from app.jobs.core import retry_job

    if db.session.get(JobRecord, job_id) is None:
        fail(_("No job has the id %(id)s.", id=job_id))
    if not retry_job(job_id):
        fail(_("Job %(id)s is not failed; only failed jobs can be retried.", id=job_id))
    db.session.commit()
    click.echo(_("Job %(id)s queued again.", id=job_id))


@jobs.command("requeue")
def requeue_command():
    """Resend the jobs Redis lost or a dead worker left (what the periodic job does)."""
    from app.jobs.core import requeue_dropped_jobs

    click.echo(_("Resent %(count)d jobs.", count=requeue_dropped_jobs()))


# --- mail ---------------------------------------------------------------------------------------

def mail_as_dict(message):
    return {
        "id": message.id, "to": message.to_addr, "subject": message.subject, "kind": message.kind,
        "status": message.status, "ticket_id": message.ticket_id, "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at), "error": message.error, "body_text": message.body_text,
        "body_html": message.body_html,
    }


@mail.command("outbox")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="How many messages, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def outbox_command(limit, as_json):
    """Read the newest outgoing e-mails (the outbox when MAIL_SERVER is not set)."""
    messages = db.session.scalars(
        select(OutboundMail).order_by(OutboundMail.created_at.desc(), OutboundMail.id.desc()).limit(limit)
    ).all()
    if as_json:
        click.echo(json.dumps([mail_as_dict(m) for m in messages], ensure_ascii=False))
        return
    if not messages:
        click.echo(_("The outbox is empty."))
        return
    for m in messages:
        click.echo("=" * 72)
        click.echo(f"#{m.id}  {_iso(m.created_at)}  [{m.status}]  {m.kind}")
        click.echo(_("To: %(to)s", to=m.to_addr))
        click.echo(_("Subject: %(subject)s", subject=m.subject))
        click.echo("")
        click.echo(m.body_text.rstrip())


def register(app):
    app.cli.add_command(worker_command, "worker")
    app.cli.add_command(scheduler_command, "scheduler")
    app.cli.add_command(jobs)
    app.cli.add_command(mail)
