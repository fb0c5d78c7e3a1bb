"""Agent-facing support pages: the queue and the ticket page."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import DomainError
from app.core.permissions import can, require
from app.extensions import db
from app.support import bp
from app.support.forms import QUEUE_VIEWS, QueueFilterForm, StaffReplyForm
from app.support.queries import queue_query
from app.support.services import add_message, get_ticket

PER_PAGE = 25
MAX_PAGE = 100_000
# Each queue view as queue_query filters.
VIEW_FILTERS = {
    "mine": {"statuses": ("new", "open"), "assignee": ("none", "me")},
    "active": {"statuses": ("new", "open", "pending", "on_hold")},
    "pending": {"statuses": "pending"},
    "on_hold": {"statuses": "on_hold"},
    "solved": {"statuses": "solved"},
    "closed": {"statuses": "closed"},
}


def _page_number():
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


@bp.get("/agent/")
@require("agent")
def agent_queue():
    filters = QueueFilterForm(request.args)
    view = filters.view.data if filters.validate() and filters.view.data in VIEW_FILTERS else "mine"
    filters.view.data = view
    page = _page_number()
    # No total: counting a million-ticket queue costs more than the page; a full page offers "next".
    tickets = db.session.scalars(queue_query(current_user, **VIEW_FILTERS[view]).page(page, PER_PAGE)).all()
    return render_template("support/queue.html", tickets=tickets, filters=filters, view=view,
                           view_label=QUEUE_VIEWS[view], page=page, has_next=len(tickets) == PER_PAGE)


@bp.get("/agent/tickets/<int:ticket_id>")
@require("agent")
def agent_ticket(ticket_id):
    ticket = get_ticket(ticket_id)
    return render_template("support/agent_ticket.html", ticket=ticket, form=StaffReplyForm(formdata=None),
                           can_write=can(current_user, "agent", write=True))


@bp.post("/agent/tickets/<int:ticket_id>/messages")
@require("agent")
def agent_message(ticket_id):
    ticket = get_ticket(ticket_id)
    form = StaffReplyForm()
    if not form.validate_on_submit():
        return render_template("support/agent_ticket.html", ticket=ticket, form=form, can_write=True), 400
    try:
        add_message(ticket, current_user, form.body.data, public=not form.internal.data, via="web")
    except DomainError as exc:
        db.session.rollback()
        form.body.errors = list(form.body.errors) + [exc.message]
        return render_template("support/agent_ticket.html", ticket=get_ticket(ticket_id), form=form,
                               can_write=True), exc.status
    db.session.commit()
    flash(_("Internal note added.") if form.internal.data else _("Reply sent."), "success")
    return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))
