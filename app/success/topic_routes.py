"""CSM topic pages (/success/topics): the list, a topic's page and the CSM decisions on it."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core.errors import DomainError, NotFound
from app.core.permissions import can, require
from app.extensions import db
from app.jobs import enqueue
from app.models.success import MiningState, Topic
from app.success import bp
from app.success import topics as service
from app.success.feedback import items_for_topic
from app.success.topic_forms import (
    ConfirmForm, KbLinkForm, MergeForm, RenameForm, SplitForm, TopicFilterForm, choices,
)

TICKETS_SHOWN = 50


def _topic(topic_id):
    try:
        return service.get_topic(topic_id)
    except NotFound:
        abort(404)


def _back(topic_id):
    return redirect(url_for("success.topic", topic_id=topic_id))


def _form_errors(form):
    return " ".join(str(e) for errors in form.errors.values() for e in errors) or _("The form was not valid.")


@bp.get("/success/topics")
@require("success")
def topics():
    form = TopicFilterForm(request.args)
    if not form.validate():
        form = TopicFilterForm(formdata=None)
    topics, money = service.topic_list(status=form.status.data, trend=form.trend.data or None,
                                       sort=form.sort.data, q=form.q.data or None)
    state = db.session.get(MiningState, 1)
    return render_template("success/topics.html", topics=topics, money=money, form=form, state=state,
                           mine_form=ConfirmForm(), can_write=can(current_user, "success", write=True))


@bp.post("/success/topics/mine")
@require("success", write=True)
def mine_topics_now():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    enqueue("success.mine")
    db.session.commit()
    flash(_("Topic mining started; topics update when it finishes."), "success")
    return redirect(url_for("success.topics"))


@bp.get("/success/topics/<int:topic_id>")
@require("success")
def topic(topic_id):
    topic = _topic(topic_id)
    figures = service.topic_figures(topic)
    tickets = service.topic_tickets(topic, limit=TICKETS_SHOWN)
    others = db.session.scalars(select(Topic).where(Topic.status == "active", Topic.id != topic.id, Topic.size > 0)
                                .order_by(Topic.label)).all()
    merge_form = MergeForm()
    merge_form.target_id.choices = choices((t.id, f"#{t.id} {t.label}") for t in others)
    split_form = SplitForm()
    split_form.ticket_ids.choices = choices((t.id, f"#{t.id} {t.subject}") for t in tickets)
    return render_template(
        "success/topic.html", topic=topic, figures=figures, tickets=tickets,
        representatives=service.representative_tickets(topic),
        chart=service.weekly_chart(topic), suggestions=service.suggested_articles(topic),
        feedback_items=items_for_topic(topic.id),
        rename_form=RenameForm(label=topic.label), merge_form=merge_form, split_form=split_form,
        kb_form=KbLinkForm(), confirm_form=ConfirmForm(),
        can_write=can(current_user, "success", write=True),
        playbooks="success.playbook_start" in current_app.view_functions,
        has_account_page="success.account" in current_app.view_functions,
    )


def _act(topic_id, form, action, done):
    """Validate `form`, run `action(topic)`, commit once; on a refusal flash it and go back."""
    topic = _topic(topic_id)
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _back(topic_id)
    try:
        result = action(topic)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(topic_id)
    flash(done, "success")
    return _back(result.id if isinstance(result, Topic) else topic_id)


@bp.post("/success/topics/<int:topic_id>/rename")
@require("success", write=True)
def rename_topic(topic_id):
    form = RenameForm()
    return _act(topic_id, form, lambda t: service.rename_topic(t, current_user, form.label.data),
                _("Topic renamed; mining keeps the name."))


@bp.post("/success/topics/<int:topic_id>/merge")
@require("success", write=True)
def merge_topic(topic_id):
    form = MergeForm()
    form.target_id.choices = choices((t, str(t)) for t in db.session.scalars(
        select(Topic.id).where(Topic.status == "active", Topic.id != topic_id)))

    def merge(topic):
        return service.merge_topics(topic, service.get_topic(form.target_id.data), current_user)

    return _act(topic_id, form, merge, _("Topics merged."))


@bp.post("/success/topics/<int:topic_id>/split")
@require("success", write=True)
def split_topic(topic_id):
    form = SplitForm()

    def split(topic):
        return service.split_topic(topic, current_user, form.ticket_ids.data, form.label.data)

    return _act(topic_id, form, split, _("The picked tickets are a topic of their own now."))


@bp.post("/success/topics/<int:topic_id>/dismiss")
@require("success", write=True)
def dismiss_topic(topic_id):
    return _act(topic_id, ConfirmForm(), lambda t: service.dismiss_topic(t, current_user),
                _("Topic dismissed: it stays out of the lists and alerts."))


@bp.post("/success/topics/<int:topic_id>/restore")
@require("success", write=True)
def restore_topic(topic_id):
    return _act(topic_id, ConfirmForm(), lambda t: service.restore_topic(t, current_user), _("Topic restored."))


@bp.post("/success/topics/<int:topic_id>/kb")
@require("success", write=True)
def link_topic_article(topic_id):
    form = KbLinkForm()
    return _act(topic_id, form, lambda t: service.link_kb_article(t, current_user, form.article_id.data),
                _("Knowledge-base link saved."))
