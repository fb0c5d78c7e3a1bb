"""Trigger evaluation and due playbook steps."""

from app.extensions import db
from app.jobs import job, periodic
from app.models.base import utcnow
from app.models.playbooks import PlaybookRun


@job("playbooks.evaluate", queue="default")
def evaluate_playbooks(now=None):
    """Enrol the accounts the triggers point at, then close runs whose objective is met."""
    from app.success.playbooks.runs import check_objectives
    from app.success.playbooks.triggers import evaluate_triggers

    now = now or utcnow()
    created = evaluate_triggers(now)
    closed = check_objectives(now)
    return {"enrolled": len(created), "objective_met": closed}


@job("playbooks.advance", queue="default")
def advance_playbooks(now=None):
    """Turn the steps that have come due into tasks and e-mails."""
    from app.success.playbooks.runs import advance_due_runs

    return advance_due_runs(now or utcnow())


@job("playbooks.advance_runs", queue="default")
def advance_runs(run_ids):
    """Start the first steps of just-enrolled runs without waiting for the periodic advance."""
    from app.success.playbooks.runs import advance_run

    now = utcnow()
    for run_id in run_ids:
        run = db.session.get(PlaybookRun, run_id)
        if run is not None:
            advance_run(run, now)


periodic("playbooks.evaluate", every=300)
periodic("playbooks.advance", every=60)
