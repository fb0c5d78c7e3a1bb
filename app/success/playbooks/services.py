"""Playbook use cases: enrolling accounts (by hand, for a segment, by triggers) and the account
timeline. Editing templates lives in editing.py, running the steps in runs.py, the task list in
tasks.py, triggers in triggers.py. Services flush, never commit.
"""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.jobs import enqueue
from app.models import Organization
from app.models.base import utcnow
from app.models.playbooks import OPEN_RUN_STATUSES, CsmTask, PlaybookRun, PlaybookRunStep
from app.success.playbooks import signals
from app.success.playbooks.scheduling import reenrolment_blocked

# --- enrolment -------------------------------------------------------------------------------------

SKIP_REASONS = {
    "running": _l("already in this playbook"),
    "max_runs": _l("has had the most runs allowed"),
    "too_soon": _l("was enrolled too recently"),
    "churned": _l("has churned"),
    "missing": _l("does not exist"),
}


def _insert(dialect):
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _baseline(org):
    health = None
    try:
        health = signals.current_health(org.id)
    except ImportError:
        health = None
    return {
        "health_score": health.get("score") if health else None,
        "health_band": health.get("band") if health else None,
        "renewal_date": org.renewal_date.isoformat() if org.renewal_date else None,
        "stage": org.stage,
    }


def enrol_accounts(actor, playbook, org_ids, *, now=None, source="manual", trigger_id=None, topic_id=None):
    """Start a run for each account that may take one. Returns (new run ids, {org id: skip reason}).

    The insert skips an account that already has an open run of the playbook (the unique
    constraint on open runs), so overlapping enrolments, manual or by triggers, never enrol twice.
    """
    now = now or utcnow()
    if playbook.status != "active":
        raise DomainError(_("Activate the playbook before enrolling accounts."))
    if not playbook.steps:
        raise DomainError(_("A playbook with no steps cannot be started."))
    wanted = list(dict.fromkeys(int(i) for i in org_ids))
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(wanted)))} if wanted else {}
    history = {}
    for org_id, enrolled_at, status in db.session.execute(
        select(PlaybookRun.organization_id, PlaybookRun.enrolled_at, PlaybookRun.status)
        .where(PlaybookRun.playbook_id == playbook.id, PlaybookRun.organization_id.in_(wanted))
    ).all() if wanted else []:
        entry = history.setdefault(org_id, {"times": [], "open": False})
        entry["times"].append(enrolled_at)
        entry["open"] = entry["open"] or status in OPEN_RUN_STATUSES
    insert = _insert(db.engine.dialect.name)
    created, skipped = [], {}
    for org_id in wanted:
        org = orgs.get(org_id)
        if org is None:
            skipped[org_id] = "missing"
            continue
        if org.stage == "churned":
            skipped[org_id] = "churned"
            continue
        past = history.get(org_id, {"times": [], "open": False})
        if past["open"]:
            skipped[org_id] = "running"
            continue
        reason = reenrolment_blocked(past["times"], now=now, reenrol_days=playbook.reenrol_days,
                                     max_runs=playbook.max_runs_per_account)
        if reason:
            skipped[org_id] = reason
            continue
        run_id = db.session.execute(
            insert(PlaybookRun).values(
                playbook_id=playbook.id, organization_id=org_id, status="active", open_slot=True, source=source,
                trigger_id=trigger_id, topic_id=topic_id or playbook.objective_topic_id,
                started_by_id=actor.id if actor else None, enrolled_at=now, paused_minutes=0, next_due_at=now,
                baseline=_baseline(org),
            ).on_conflict_do_nothing().returning(PlaybookRun.id)
        ).scalar()
        if run_id is None:  # another enrolment got there first
            skipped[org_id] = "running"
        else:
            created.append(run_id)
    for i in range(0, len(created), 200):
        enqueue("playbooks.advance_runs", created[i:i + 200])
    return created, skipped


def enrolment_candidates(*, topic_id=None, audience="affected", organization_id=None, segment_id=None):
    """(what the accounts are, [Organization]) for the start page's query string."""
    if organization_id is not None:
        org = db.session.get(Organization, organization_id)
        if org is None:
            raise NotFound(_("Account not found."))
        return {"kind": "organization", "label": org.name}, [org]
    if segment_id is not None:
        seg = signals.segment(segment_id)
        if seg is None:
            raise NotFound(_("Segment not found."))
        ids = signals.accounts_in_segment(segment_id)
        return {"kind": "segment", "label": seg.name}, _orgs(ids)
    if topic_id is not None:
        topic = signals.topic(topic_id)
        if topic is None:
            raise NotFound(_("Topic not found."))
        if audience not in ("affected", "at_risk"):
            raise DomainError(_("Choose affected or at-risk accounts."))
        ids = (signals.affected_organization_ids(topic_id) if audience == "affected"
               else signals.at_risk_organization_ids(topic_id))
        return {"kind": "topic", "label": getattr(topic, "label", str(topic_id)), "audience": audience,
                "topic_id": topic_id}, _orgs(ids)
    raise DomainError(_("Say which accounts to enrol: a topic, an account or a segment."))


def _orgs(ids):
    if not ids:
        return []
    return db.session.scalars(select(Organization).where(Organization.id.in_(list(ids)))
                              .order_by(Organization.mrr.desc(), Organization.name)).all()


# --- the account timeline --------------------------------------------------------------------------

def account_timeline_events(org_id, limit=200):
    """Playbook runs, their steps and CSM tasks of one account: [dict(at, kind, text, url)], newest first."""
    events = []
    runs = db.session.scalars(select(PlaybookRun).where(PlaybookRun.organization_id == org_id)
                              .order_by(PlaybookRun.id.desc()).limit(limit)).all()
    for run in runs:
        url = url_for("success.playbook_run", run_id=run.id)
        events.append({"at": run.enrolled_at, "kind": "playbook_started", "url": url,
                       "text": _("Playbook “%(name)s” started", name=run.playbook.name)})
        if run.finished_at:
            events.append({"at": run.finished_at, "kind": "playbook_finished", "url": url,
                           "text": _("Playbook “%(name)s” ended: %(outcome)s", name=run.playbook.name,
                                     outcome=str(RUN_STATUS_LABELS.get(run.status, run.status)))})
    steps = db.session.scalars(
        select(PlaybookRunStep).join(PlaybookRun).where(PlaybookRun.organization_id == org_id,
                                                         PlaybookRunStep.kind == "email",
                                                         PlaybookRunStep.status == "done")
        .order_by(PlaybookRunStep.id.desc()).limit(limit)).all()
    for rs in steps:
        events.append({"at": rs.completed_at or rs.started_at, "kind": "playbook_email",
                       "url": url_for("success.playbook_run", run_id=rs.run_id),
                       "text": _("Playbook e-mail sent to %(n)d contacts: %(subject)s", n=rs.mails_sent,
                                 subject=rs.step.subject if rs.step else "")})
    tasks = db.session.scalars(select(CsmTask).where(CsmTask.organization_id == org_id, CsmTask.status == "done")
                               .order_by(CsmTask.id.desc()).limit(limit)).all()
    for task in tasks:
        text = _("Task done: %(title)s", title=task.title)
        if task.note:
            text += " — " + task.note
        events.append({"at": task.completed_at, "kind": "task_done", "text": text,
                       "url": url_for("success.tasks")})
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]


RUN_STATUS_LABELS = {
    "active": _l("running"), "paused": _l("paused"), "completed": _l("completed"),
    "objective_met": _l("objective met"), "stopped": _l("stopped"),
}
