"""Admin pages for the job layer: failed jobs with a retry button, and the mail outbox."""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.admin import bp
from app.core.permissions import require
from app.extensions import db
from app.jobs.core import retry_job
from app.models.jobs import JOB_STATES, JobRecord, OutboundMail

JOBS_PER_PAGE = 25
MAIL_PER_PAGE = 50
# The HTML version of a mail is shown as its own document, with nothing active allowed in it.
MAIL_HTML_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _page():
    return min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)


@bp.get("/jobs")
@require("admin")
def jobs():
    status = request.args.get("status") or "failed"
    if status not in JOB_STATES:
        status = "failed"
    counts = dict(db.session.execute(select(JobRecord.status, func.count()).group_by(JobRecord.status)).all())
    page = db.paginate(
        select(JobRecord).where(JobRecord.status == status).order_by(JobRecord.id.desc()),
        page=_page(), per_page=JOBS_PER_PAGE, error_out=False,
    )
    return render_template("admin/jobs.html", page=page, status=status, states=JOB_STATES, counts=counts)


@bp.post("/jobs/<int:job_id>/retry", endpoint="retry_job")
@require("admin")
def retry_failed_job(job_id):
    record = db.get_or_404(JobRecord, job_id)
    if retry_job(record.id):
        db.session.commit()  # the job runs (or goes to a worker) once this commits
        flash(_("Job #%(id)s (%(name)s) was sent again.", id=job_id, name=record.name), "success")
    else:
        db.session.rollback()
        flash(_("Job #%(id)s is not failed any more; nothing to retry.", id=job_id), "info")
    return redirect(url_for("admin.jobs", status="failed"), 303)


@bp.get("/outbox")
@require("admin")
def outbox():
    page = db.paginate(
        select(OutboundMail).order_by(OutboundMail.created_at.desc(), OutboundMail.id.desc()),
        page=_page(), per_page=MAIL_PER_PAGE, error_out=False,
    )
    return render_template("admin/outbox.html", page=page)


@bp.get("/outbox/<int:mail_id>")
@require("admin")
def mail(mail_id):
    return render_template("admin/mail.html", mail=db.get_or_404(OutboundMail, mail_id))


@bp.get("/outbox/<int:mail_id>/html")
@require("admin")
def mail_html(mail_id):
    message = db.get_or_404(OutboundMail, mail_id)
    if not message.body_html:
        abort(404)
    response = make_response(message.body_html)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = MAIL_HTML_CSP
    return response
