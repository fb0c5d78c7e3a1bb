"""The CSM task list: mine, overdue first, due today, upcoming; and the e-mails held for review."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.errors import NotFound
from app.extensions import db
from app.models.playbooks import CsmTask, PlaybookRunStep
from app.success.playbooks.scheduling import bucket_tasks, day_bounds

UPCOMING_LIMIT = 200


def _open_tasks(user, before=None, limit=None):
    query = (select(CsmTask).where(CsmTask.owner_id == user.id, CsmTask.status == "open")
             .options(selectinload(CsmTask.organization),
                      selectinload(CsmTask.run_step).selectinload(PlaybookRunStep.run))
             .order_by(CsmTask.due_at, CsmTask.id))
    if before is not None:
        query = query.where(CsmTask.due_at < before)
    if limit:
        query = query.limit(limit)
    return db.session.scalars(query).all()


def tasks_for_home(user, now):
    """The user's open tasks due today (in their time zone) or overdue, overdue first."""
    _, end_of_day = day_bounds(now, getattr(user, "timezone", None))
    buckets = bucket_tasks(_open_tasks(user, before=end_of_day), now, getattr(user, "timezone", None))
    return buckets["overdue"] + buckets["today"]


def task_buckets(user, now):
    """{"overdue", "today", "upcoming"} of the user's open tasks."""
    return bucket_tasks(_open_tasks(user, limit=UPCOMING_LIMIT * 5), now, getattr(user, "timezone", None))


def unassigned_tasks(limit=50):
    return db.session.scalars(select(CsmTask).where(CsmTask.owner_id.is_(None), CsmTask.status == "open")
                              .order_by(CsmTask.due_at).limit(limit)).all()


def recently_done(user, limit=20):
    return db.session.scalars(select(CsmTask).where(CsmTask.owner_id == user.id, CsmTask.status != "open")
                              .order_by(CsmTask.completed_at.desc(), CsmTask.id.desc()).limit(limit)).all()


def get_task(task_id):
    task = db.session.get(CsmTask, task_id)
    if task is None:
        raise NotFound(_("Task not found."))
    return task


def open_tasks_of_organization(org_id):
    return db.session.scalars(select(CsmTask).where(CsmTask.organization_id == org_id, CsmTask.status == "open")
                              .order_by(CsmTask.due_at)).all()
