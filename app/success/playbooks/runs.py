"""Running playbooks: due steps become tasks or e-mails; pause, resume, skip, stop; objectives.

Every function takes `now`. A step happens once per run: its row in playbook_run_steps is inserted
with "on conflict do nothing", and only the inserter does the work (tasks, e-mails).
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.db import write_lock_on_sqlite
from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.mail import queue_mail
from app.models import User
from app.models.base import utcnow
from app.models.playbooks import OPEN_RUN_STATUSES, CsmTask, Playbook, PlaybookRun, PlaybookRunStep, PlaybookStep
from app.success.playbooks import signals
from app.success.playbooks.scheduling import (
    StepPlan, completed_on_time, objective_met, pause_shift_minutes, plan_advance, resolve_owner,
)
from app.success.playbooks.editing import fill_placeholders, placeholder_values
from app.success.playbooks.services import _insert

ADVANCE_BATCH = 500


def get_run(run_id):
    run = db.session.get(PlaybookRun, run_id)
    if run is None:
        raise NotFound(_("Run not found."))
    return run


def _plans(run):
    return [StepPlan(position=s.position, kind=s.kind, delay_minutes=s.delay_minutes,
                     hold_for_review=s.hold_for_review, key=s.id) for s in run.playbook.steps]


def _states(run):
    return {rs.step_id: rs.status for rs in run.run_steps if rs.step_id is not None}


def advance_run(run, now):
    """Start every step of the run that has come due; finish the run after its last step."""
    if run.status != "active":
        run.next_due_at = None
        return []
    plan = plan_advance(_plans(run), _states(run), status=run.status, enrolled_at=run.enrolled_at,
                        paused_minutes=run.paused_minutes, now=now)
    steps = {s.id: s for s in run.playbook.steps}
    started = []
    insert = _insert(db.engine.dialect.name)
    for step_plan, due in plan.start:
        step = steps[step_plan.key]
        row_id = db.session.execute(
            insert(PlaybookRunStep).values(
                run_id=run.id, step_id=step.id, position=step.position, kind=step.kind, status="open",
                due_at=due, started_at=now, note="", mails_sent=0,
            ).on_conflict_do_nothing().returning(PlaybookRunStep.id)
        ).scalar()
        if row_id is None:  # an overlapping advance started this step: it carries on from here
            db.session.expire(run)
            return started
        run_step = db.session.get(PlaybookRunStep, row_id)
        _start_step(run, step, run_step, now)
        started.append(run_step)
    db.session.expire(run, ["run_steps"])
    if plan.finished:
        _finish(run, "completed", now)
    else:
        run.next_due_at = plan.next_due_at
    db.session.flush()
    return started


def _start_step(run, step, run_step, now):
    org = run.organization
    if step.kind == "wait":
        run_step.status, run_step.completed_at = "done", now
    elif step.kind == "email" and not step.hold_for_review:
        run_step.mails_sent = send_step_email(run, step, now)
        run_step.status, run_step.completed_at = "done", now
        if not run_step.mails_sent:
            run_step.note = _("No contact of the account has an e-mail address.")
    elif step.kind == "email":
        run_step.status = "held"
        _create_task(run, step, run_step, kind="email_review",
                     title=_("Review e-mail to %(account)s: %(subject)s", account=org.name,
                             subject=fill_placeholders(step.subject, placeholder_values(org, None, _topic(run)))))
    else:
        title = step.title or (_("Share an article with %(account)s", account=org.name)
                               if step.kind == "kb_article" else step.kind)
        _create_task(run, step, run_step, kind=step.kind, title=title)


def _topic(run):
    return signals.topic_label(run.topic_id) if run.topic_id else None


def _create_task(run, step, run_step, *, kind, title):
    org = run.organization
    members = [m.id for m in step.owner_group.members if m.active] if step.owner_group else []
    owner_id, cursor = resolve_owner(
        step.owner_rule, account_owner_id=org.owner_id, named_user_id=step.owner_user_id,
        group_member_ids=members, last_id=step.round_robin_last_user_id,
        fallback_id=run.started_by_id or run.playbook.created_by_id,
    )
    if step.owner_rule == "round_robin":
        step.round_robin_last_user_id = cursor
    body = step.body if kind != "email_review" else ""
    task = CsmTask(kind=kind, title=title[:300], body=body, url=step.article_url or "",
                   organization_id=org.id, owner_id=owner_id, run_step_id=run_step.id, status="open",
                   due_at=run_step.due_at, created_at=run_step.started_at)
    db.session.add(task)
    return task


def contacts(org_id):
    """The account's people who get playbook e-mails: active customers with an address."""
    return db.session.scalars(select(User).where(User.organization_id == org_id, User.role == "customer",
                                                 User.active.is_(True)).order_by(User.email)).all()


def send_step_email(run, step, now):
    """Queue the step's e-mail to each contact; returns how many were queued."""
    org, topic_label = run.organization, _topic(run)
    sent = 0
    for contact in contacts(org.id):
        values = placeholder_values(org, contact, topic_label)
        queue_mail(contact.email, "playbook_email", kind="playbook_email", locale=contact.locale,
                   subject=fill_placeholders(step.subject, values), body=fill_placeholders(step.body, values),
                   account=org, csm=org.owner)
        sent += 1
    return sent


def preview_email(run_step):
    org, step = run_step.run.organization, run_step.step
    people = contacts(org.id)
    values = placeholder_values(org, people[0] if people else None, _topic(run_step.run))
    return {"subject": fill_placeholders(step.subject, values), "body": fill_placeholders(step.body, values),
            "to": [p.email for p in people]}


def _finish(run, status, now):
    run.status, run.open_slot, run.finished_at, run.next_due_at = status, None, now, None
    tasks = db.session.scalars(select(CsmTask).join(PlaybookRunStep).where(PlaybookRunStep.run_id == run.id)).all()
    # On time: every task was done within a day of its due time (runs without tasks count as on time).
    run.on_time = all(completed_on_time(t.due_at, t.completed_at) for t in tasks if t.status == "done")
    if status != "completed":
        for rs in run.run_steps:
            if rs.status in ("open", "held"):
                rs.status, rs.completed_at = "skipped", now
        for task in tasks:
            if task.status == "open":
                task.status, task.completed_at = "skipped", now


def advance_due_runs(now, limit=ADVANCE_BATCH):
    """The periodic advance: only runs whose next step time has passed (an indexed column)."""
    write_lock_on_sqlite()
    ids = db.session.scalars(select(PlaybookRun.id).where(PlaybookRun.status == "active",
                                                          PlaybookRun.next_due_at <= now)
                             .order_by(PlaybookRun.next_due_at).limit(limit)).all()
    started = 0
    # One query per relationship for the whole batch, not a handful of lazy loads per run.
    batch = db.session.scalars(select(PlaybookRun).where(PlaybookRun.id.in_(ids)).order_by(PlaybookRun.next_due_at)
                               .options(selectinload(PlaybookRun.run_steps), selectinload(PlaybookRun.organization),
                                        selectinload(PlaybookRun.playbook).selectinload(Playbook.steps)
                                        .selectinload(PlaybookStep.owner_group))).all() if ids else []
    for run in batch:
        started += len(advance_run(run, now))
    return {"runs": len(ids), "steps": started}


# --- what people do to a run -----------------------------------------------------------------------

def pause_run(actor, run, now):
    if run.status != "active":
        raise DomainError(_("Only a running playbook can be paused."))
    run.status, run.paused_at, run.next_due_at = "paused", now, None
    db.session.flush()


def resume_run(actor, run, now):
    if run.status != "paused":
        raise DomainError(_("Only a paused run can be resumed."))
    run.paused_minutes += pause_shift_minutes(run.paused_at or now, now)
    run.status, run.paused_at = "active", None
    advance_run(run, now)


def stop_run(actor, run, now):
    if run.status not in OPEN_RUN_STATUSES:
        raise DomainError(_("This run has ended already."))
    _finish(run, "stopped", now)
    db.session.flush()


def skip_step(actor, run, now):
    """Skip the step a person has (open or held), else the next one not yet due."""
    if run.status not in OPEN_RUN_STATUSES:
        raise DomainError(_("This run has ended already."))
    current = next((rs for rs in run.run_steps if rs.status in ("open", "held")), None)
    if current is not None:
        current.status, current.completed_at = "skipped", now
        for task in db.session.scalars(select(CsmTask).where(CsmTask.run_step_id == current.id,
                                                             CsmTask.status == "open")):
            task.status, task.completed_at, task.completed_by_id = "skipped", now, actor.id if actor else None
    else:
        done = {rs.step_id for rs in run.run_steps}
        step = next((s for s in run.playbook.steps if s.id not in done), None)
        if step is None:
            raise DomainError(_("There is no step left to skip."))
        db.session.add(PlaybookRunStep(run=run, step_id=step.id, position=step.position, kind=step.kind,
                                       status="skipped", due_at=now, started_at=now, completed_at=now,
                                       note=_("Skipped")))
    db.session.flush()
    db.session.expire(run, ["run_steps"])
    if run.status == "active":
        advance_run(run, now)


def complete_task(actor, task, now, note=""):
    """Mark a task done (a held e-mail: approve and send it) and move its run on."""
    if task.status != "open":
        raise DomainError(_("This task is closed already."))
    note = (note or "").strip()
    if len(note) > 5000:
        raise DomainError(_("The note can be at most %(n)d characters.", n=5000), field="note")
    task.status, task.completed_at, task.note = "done", now, note
    task.completed_by_id = actor.id if actor else None
    run_step = task.run_step
    if run_step is None:
        db.session.flush()
        return task
    run = run_step.run
    if task.kind == "email_review" and run_step.step is not None:
        run_step.mails_sent = send_step_email(run, run_step.step, now)
    run_step.status, run_step.completed_at, run_step.note = "done", now, note
    db.session.flush()
    db.session.expire(run, ["run_steps"])
    if run.status == "active":
        advance_run(run, now)
    return task


def create_task(actor, *, title, organization_id=None, owner=None, due_at, body="", now=None):
    """A task by hand (or from another feature, e.g. a health drop)."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Say what has to be done."), field="title")
    task = CsmTask(kind="other", title=title[:300], body=body or "", organization_id=organization_id,
                   owner_id=(owner or actor).id if (owner or actor) else None, status="open", due_at=due_at,
                   created_at=now or utcnow())
    db.session.add(task)
    db.session.flush()
    return task


# --- objectives ------------------------------------------------------------------------------------

def check_objective(run, now):
    """Close the run as "objective met" when the signal that started it has recovered."""
    playbook = run.playbook
    if run.status not in OPEN_RUN_STATUSES or playbook.objective == "none":
        return False
    org = run.organization
    kwargs = {"now": now, "enrolled_at": run.enrolled_at, "days": playbook.objective_days}
    if playbook.objective == "no_topic_tickets":
        topic_id = run.topic_id or playbook.objective_topic_id
        if topic_id is None:
            return False
        kwargs["last_topic_ticket_at"] = signals.last_topic_ticket_at(org.id, topic_id)
    elif playbook.objective == "healthy":
        try:
            kwargs["health_band"] = signals.health_band(org.id)
        except ImportError:
            return False
    elif playbook.objective == "renewed":
        before = (run.baseline or {}).get("renewal_date")
        kwargs.update(renewal_at_enrolment=date.fromisoformat(before) if before else None,
                      renewal_now=org.renewal_date, stage=org.stage)
    if not objective_met(playbook.objective, **kwargs):
        return False
    _finish(run, "objective_met", now)
    db.session.flush()
    return True


def check_objectives(now, limit=2000):
    ids = db.session.scalars(
        select(PlaybookRun.id).join(Playbook).where(PlaybookRun.status.in_(OPEN_RUN_STATUSES),
                                                     Playbook.objective != "none")
        .order_by(PlaybookRun.id).limit(limit)).all()
    return sum(1 for run_id in ids if check_objective(db.session.get(PlaybookRun, run_id), now))


def runs_of_organization(org_id):
    return db.session.scalars(select(PlaybookRun).where(PlaybookRun.organization_id == org_id)
                              .order_by(PlaybookRun.id.desc())).all()

