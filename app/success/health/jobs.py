"""Health recompute and NPS jobs."""

from datetime import timedelta

from app.jobs import job, periodic
from app.models.base import utcnow

DIRTY_EVERY = 300  # seconds between "recompute the accounts touched lately" runs


@job("health.recompute", queue="default")
def recompute_job(org_ids=None):
    """Recompute some accounts (a list of ids) or all of them (None). Safe to run twice."""
    from app.success.health.services import recompute_health

    return recompute_health(org_ids)


@job("health.recompute_all", queue="low")
def recompute_all_job():
    """Nightly: every account, so renewal proximity and last week's trend move even when quiet."""
    from app.success.health.services import recompute_health

    return recompute_health(None)


@job("health.recompute_dirty", queue="default")
def recompute_dirty_job():
    """Accounts with ticket, CSAT or NPS activity in the last two intervals (runs overlap on
    purpose: a missed tick is caught by the next one, and recomputing twice changes nothing)."""
    from app.success.health.services import recompute_health, touched_accounts

    ids = touched_accounts(utcnow() - timedelta(seconds=2 * DIRTY_EVERY))
    return recompute_health(ids) if ids else 0


@job("health.send_nps", queue="default")
def send_nps_job(survey_id):
    from app.success.health.nps import mail_survey

    return mail_survey(survey_id)


periodic("health.recompute_all", every=24 * 3600, queue="low")
periodic("health.recompute_dirty", every=DIRTY_EVERY, queue="default")
