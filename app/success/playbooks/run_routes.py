"""Run and task pages: a run's progress and its pause/resume/skip/stop buttons; the CSM task list."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.permissions import require
from app.extensions import db
from app.models.base import utcnow
from app.models.playbooks import CsmTask
from app.success import bp
from app.success.playbooks import runs as run_services
from app.success.playbooks import signals, tasks as task_services
from app.success.playbooks.routes import _can_write, _fail, _labels
from app.success.playbooks.scheduling import step_due_at


# --- runs ------------------------------------------------------------------------------------------

@bp.get("/success/runs/<int:run_id>")
@require("success")
def playbook_run(run_id):
    run = run_services.get_run(run_id)
    started = {rs.step_id: rs for rs in run.run_steps}
    tasks = {t.run_step_id: t for t in db.session.scalars(
        select(CsmTask).where(CsmTask.run_step_id.in_([rs.id for rs in run.run_steps])))
    } if run.run_steps else {}
    rows = []
    for step in run.playbook.steps:
        rs = started.get(step.id)
        due = step_due_at(run.enrolled_at, step.delay_minutes, run.paused_minutes)
        rows.append({"step": step, "run_step": rs, "task": tasks.get(rs.id) if rs else None,
                     "state": rs.status if rs else "waiting", "due_at": rs.due_at if rs else due})
    done = sum(1 for r in rows if r["state"] in ("done", "skipped"))
    return render_template("success/playbook_run.html", run=run, rows=rows, done=done, labels=_labels(),
                           can_write=_can_write(), topic_label=signals.topic_label(run.topic_id) if run.topic_id else None)


@bp.post("/success/runs/<int:run_id>/action")
@require("success")
def run_action(run_id):
    run = run_services.get_run(run_id)
    action = request.form.get("action")
    handlers = {"pause": run_services.pause_run, "resume": run_services.resume_run,
                "stop": run_services.stop_run, "skip": run_services.skip_step}
    if action not in handlers:
        flash(_("Unknown action."), "error")
        return redirect(url_for("success.playbook_run", run_id=run_id)), 303
    try:
        handlers[action](current_user, run, utcnow())
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, "success.playbook_run", run_id=run_id)
    flash({"pause": _("Run paused."), "resume": _("Run resumed."), "stop": _("Run stopped."),
           "skip": _("Step skipped.")}[action], "success")
    return redirect(url_for("success.playbook_run", run_id=run_id))


# --- tasks -----------------------------------------------------------------------------------------

@bp.get("/success/tasks")
@require("success")
def tasks():
    now = utcnow()
    buckets = task_services.task_buckets(current_user, now)
    return render_template("success/tasks.html", buckets=buckets, now=now, labels=_labels(),
                           unassigned=task_services.unassigned_tasks() if _can_write() else [],
                           done=task_services.recently_done(current_user), can_write=_can_write(),
                           preview=_previews(buckets))


def _previews(buckets):
    """The e-mail each held review task would send."""
    found = {}
    for task in buckets["overdue"] + buckets["today"] + buckets["upcoming"]:
        if task.kind == "email_review" and task.run_step is not None and task.run_step.step is not None:
            found[task.id] = run_services.preview_email(task.run_step)
    return found


def _back():
    target = request.form.get("next") or ""
    return target if target.startswith("/success/") and not target.startswith("//") else url_for("success.tasks")


@bp.post("/success/tasks/<int:task_id>/complete")
@require("success")
def task_complete(task_id):
    task = task_services.get_task(task_id)
    try:
        run_services.complete_task(current_user, task, utcnow(), note=request.form.get("note", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_back())
    flash(_("E-mail approved and sent.") if task.kind == "email_review" else _("Task done."), "success")
    return redirect(_back())


@bp.post("/success/tasks/<int:task_id>/skip")
@require("success")
def task_skip(task_id):
    task = task_services.get_task(task_id)
    if task.status != "open":
        flash(_("This task is closed already."), "error")
        return redirect(_back())
    try:
        if task.run_step is not None and task.run_step.run.is_open:
            run_services.skip_step(current_user, task.run_step.run, utcnow())
        else:
            task.status, task.completed_at, task.completed_by_id = "skipped", utcnow(), current_user.id
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_back())
    flash(_("Skipped."), "success")
    return redirect(_back())


@bp.app_template_global()
def playbook_task_kind_label(kind):
    return {"call": _("Call"), "task": _("Task"), "kb_article": _("Share article"),
            "email_review": _("Review e-mail"), "other": _("Task")}.get(kind, kind)
