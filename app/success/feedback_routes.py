"""Product feedback pages (/success/feedback): list, CSV export, item page and its actions."""

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core.errors import DomainError, NotFound
from app.core.permissions import can, require
from app.extensions import db
from app.models import Organization
from app.models.base import utcnow
from app.success import bp
from app.success import feedback as service
from app.success.topic_forms import (
    ConfirmForm, FeedbackFilterForm, FeedbackForm, LinkForm, StatusForm, UnlinkForm, VoteForm, choices,
)
from app.success.topics import get_topic

CSV_FIELDS = ("id", "title", "type", "status", "importance", "topic_ids", "ticket_count", "organization_count",
              "mrr_affected", "votes", "created_at", "updated_at")


def _item(feedback_id):
    try:
        return service.get_item(feedback_id)
    except NotFound:
        abort(404)


def _back(item_id):
    return redirect(url_for("success.feedback_item", feedback_id=item_id))


def _form_errors(form):
    return " ".join(str(e) for errors in form.errors.values() for e in errors) or _("The form was not valid.")


def _filtered():
    form = FeedbackFilterForm(request.args)
    if not form.validate():
        form = FeedbackFilterForm(formdata=None)
    topic_id = request.args.get("topic_id", type=int)
    items, figures = service.feedback_list(status=form.status.data or None, type=form.type.data or None,
                                           topic_id=topic_id, q=form.q.data or None, sort=form.sort.data)
    return form, items, figures


@bp.get("/success/feedback")
@require("success")
def feedback_list():
    form, items, figures = _filtered()
    return render_template("success/feedback_list.html", form=form, items=items, figures=figures,
                           can_write=can(current_user, "success", write=True))


def _csv_cell(value):
    # A cell starting with = + - @ is a formula to spreadsheets; a leading quote keeps it text.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/success/feedback.csv")
@require("success")
def feedback_csv():
    _form, items, figures = _filtered()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for item in items:
        f = figures[item.id]
        writer.writerow([
            item.id, _csv_cell(item.title), item.type, item.status, item.importance,
            " ".join(str(t.id) for t in item.topics), f["ticket_count"], f["organization_count"],
            f"{f['mrr_affected']:.2f}", f["votes"], item.created_at.isoformat(), item.updated_at.isoformat(),
        ])
    name = f"feedback-{utcnow():%Y-%m-%d}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/success/feedback/new", methods=["GET", "POST"])
@require("success")
def feedback_new():
    topic = None
    topic_id = request.values.get("topic_id", type=int)
    if topic_id:
        try:
            topic = get_topic(topic_id)
        except NotFound:
            abort(404)
    form = FeedbackForm()
    if request.method == "GET" and topic is not None:
        for key, value in service.prefill_from_topic(topic).items():
            getattr(form, key).data = value
        form.topic_id.data = topic.id
    error = None
    if request.method == "POST":
        if not can(current_user, "success", write=True):
            abort(403)
        if form.validate_on_submit():
            try:
                item = service.create_item(
                    current_user, form.title.data, form.description.data, form.type.data, form.importance.data,
                    topic_ids=[topic.id] if topic else [],
                )
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                error = exc.message
            else:
                flash(_("Feedback item created."), "success")
                return _back(item.id)
        status = 422 if error or form.errors else 200
        return render_template("success/feedback_new.html", form=form, topic=topic, error=error,
                               can_write=True), status
    return render_template("success/feedback_new.html", form=form, topic=topic, error=None,
                           can_write=can(current_user, "success", write=True))


@bp.get("/success/feedback/<int:feedback_id>")
@require("success")
def feedback_item(feedback_id):
    item = _item(feedback_id)
    figures = service.item_figures([item.id])[item.id]
    vote_form = VoteForm()
    vote_form.organization_id.choices = choices((o.id, o.name) for o in db.session.scalars(
        select(Organization).order_by(Organization.name).limit(1000)))
    edit_form = FeedbackForm(obj=item)
    return render_template(
        "success/feedback_item.html", item=item, figures=figures,
        organizations=db.session.scalars(select(Organization).where(
            Organization.id.in_(figures["organization_ids"] or [0])).order_by(Organization.mrr.desc())).all(),
        requesters=service.open_requesters(item) if item.status == "shipped" else {},
        status_form=StatusForm(status=item.status), link_form=LinkForm(), unlink_form=UnlinkForm(),
        vote_form=vote_form, edit_form=edit_form, confirm_form=ConfirmForm(),
        can_write=can(current_user, "success", write=True),
    )


def _act(feedback_id, form, action, done):
    item = _item(feedback_id)
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _back(feedback_id)
    try:
        action(item)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(feedback_id)
    flash(done, "success")
    return _back(feedback_id)


@bp.post("/success/feedback/<int:feedback_id>/edit")
@require("success", write=True)
def feedback_edit(feedback_id):
    form = FeedbackForm()
    return _act(feedback_id, form, lambda item: service.update_item(
        item, current_user, form.title.data, form.description.data, form.type.data, form.importance.data),
        _("Saved."))


@bp.post("/success/feedback/<int:feedback_id>/status")
@require("success", write=True)
def feedback_status(feedback_id):
    form = StatusForm()
    return _act(feedback_id, form, lambda item: service.change_status(item, current_user, form.status.data,
                                                                      form.note.data), _("Status changed."))


@bp.post("/success/feedback/<int:feedback_id>/link")
@require("success", write=True)
def feedback_link(feedback_id):
    form = LinkForm()
    return _act(feedback_id, form, lambda item: service.link(item, current_user, form.kind.data, form.target_id.data),
                _("Linked."))


@bp.post("/success/feedback/<int:feedback_id>/unlink")
@require("success", write=True)
def feedback_unlink(feedback_id):
    form = UnlinkForm()
    return _act(feedback_id, form, lambda item: service.unlink(item, current_user, form.kind.data,
                                                               form.target_id.data), _("Link removed."))


@bp.post("/success/feedback/<int:feedback_id>/vote")
@require("success", write=True)
def feedback_vote(feedback_id):
    form = VoteForm()
    form.organization_id.choices = choices((i, str(i)) for i in db.session.scalars(
        select(Organization.id).where(Organization.id == (request.form.get("organization_id", type=int) or 0))))
    return _act(feedback_id, form, lambda item: service.add_vote(item, current_user, form.organization_id.data),
                _("Vote recorded."))


@bp.post("/success/feedback/<int:feedback_id>/votes/<int:vote_id>/delete")
@require("success", write=True)
def feedback_unvote(feedback_id, vote_id):
    return _act(feedback_id, ConfirmForm(), lambda item: service.remove_vote(item, current_user, vote_id),
                _("Vote withdrawn."))


@bp.post("/success/feedback/<int:feedback_id>/notify")
@require("success", write=True)
def feedback_notify(feedback_id):
    return _act(feedback_id, ConfirmForm(), lambda item: service.request_notification(item, current_user),
                _("The requesters of the open linked tickets are being told."))
