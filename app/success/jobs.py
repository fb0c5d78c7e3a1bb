"""Topic mining and product feedback jobs. Each reloads by id and is safe to run twice."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.jobs import job, periodic
from app.models.base import utcnow
from app.models.success import MiningState
from app.support.importing import after_import

# The schedule ticks hourly; `success.mine_if_due` mines when TOPIC_MINE_EVERY (default a day)
# has passed since the last run, so the interval is a setting rather than an import-time constant.
MINE_CHECK_EVERY = 3600


@job("success.embed_ticket", queue="default")
def embed_ticket(ticket_id):
    """A new ticket: store its vector and attach it to an existing topic when one fits."""
    from app.success.topic_mining import attach_tickets
    from app.success.topics import detect_spikes

    placed = attach_tickets([ticket_id])
    topic_id = placed.get(ticket_id)
    if topic_id is not None:
        detect_spikes(topic_ids=[topic_id])


@job("success.attach_batch", queue="low")
def attach_batch(ticket_ids):
    """An imported batch, attached in one run, then one spike check for the topics it touched."""
    from app.success.topic_mining import attach_tickets
    from app.success.topics import detect_spikes

    placed = attach_tickets(ticket_ids)
    touched = {t for t in placed.values() if t is not None}
    if touched:
        detect_spikes(topic_ids=touched)


@after_import
def _attach_imported(ticket_ids, now):
    # Runs inside the import's one follow-up job, so the batch is attached once, not per row.
    if current_app.config.get("TOPIC_ATTACH_ON_ARRIVAL", True):
        attach_batch(ticket_ids)


def attach_on_arrival():
    """Whether new tickets are embedded as they arrive (off in the test suite unless asked for)."""
    return bool(current_app.config.get("TOPIC_ATTACH_ON_ARRIVAL", True))


@job("success.mine", queue="low")
def mine_job():
    """Mine every ticket now (on demand and from the schedule), then look for spikes."""
    from app.success.topic_mining import embed_missing, mine_topics
    from app.success.topics import detect_spikes

    # Vectors first, committed in batches: a first run over a big desk keeps its progress.
    embed_missing(commit=True)
    topics = mine_topics()
    detect_spikes()
    return len(topics)


@job("success.mine_if_due", queue="low")
def mine_if_due(now=None):
    now = now or utcnow()
    every = timedelta(seconds=current_app.config.get("TOPIC_MINE_EVERY", 86400))
    last = db.session.scalar(select(MiningState.last_run_at).where(MiningState.id == 1))
    if last is None or last <= now - every + timedelta(seconds=MINE_CHECK_EVERY // 2):
        mine_job()


periodic("success.mine_if_due", every=MINE_CHECK_EVERY, queue="low")


@job("success.feedback_shipped", queue="default")
def feedback_shipped(feedback_id):
    """Tell the requesters of the item's open tickets that the fix or feature shipped."""
    from app.success.feedback import notify_requesters

    notify_requesters(feedback_id)
