"""Agent-facing support pages: the queue (filters, saved views, bulk actions) and the ticket page.

CSMs read everything here; every POST needs the agent area's write right (@require checks it).
"""

import time
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import Conflict, DomainError
from app.core.permissions import can, require
from app.extensions import db
from app.i18n import STATUS_LABELS
from app.models import Group, SlaEvent, Ticket, TicketEvent, TicketSlaClock, User
from app.models.base import utcnow
from app.success.topics import ticket_topic, topic_choices
from app.support import bp, macros, rules, spam, views
from app.support.agent_forms import (
    ActionForm, AgentReplyForm, BulkForm, MacroApplyForm, RenameViewForm, SaveViewForm, SpamForm, TicketFieldsForm,
)
from app.support.attachments import store_attachments, upload_rules, validate_uploads
from app.support.bulk import bulk_update
from app.support.queries import BadCursor, cursor_of
from app.support.services import add_message, get_ticket, update_ticket

PER_PAGE = 25
RECENT_TICKETS = 5


def _agents():
    return db.session.scalars(
        select(User).where(User.role.in_(("agent", "admin")), User.active.is_(True)).order_by(User.name, User.email)
    ).all()


def _groups():
    return db.session.scalars(select(Group).order_by(Group.name)).all()


def _back_to_queue():
    """Where to return after a queue action: an /agent/ address we were given, else the queue."""
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc and parts.path.startswith("/agent/"):
        return target
    return url_for("support.agent_queue")


# --- the queue -------------------------------------------------------------------------------------

def _chosen_filters(args):
    """(filters, active built-in key, active saved view, arguments that keep them on other pages)."""
    filters = views.filters_from_args(args)
    if filters is not None:
        # `sort` always goes along, so even "no filter at all" stays explicit on the next page.
        return filters, views.builtin_key(filters), None, {**filters, "sort": filters.get("sort", "sla")}
    saved_id = args.get("saved", type=int)
    if saved_id:
        view = views.get_view(current_user, saved_id)
        return views.clean_filters(view.filters), None, view, {"saved": view.id}
    key = args.get("view") if args.get("view") in views.BUILTIN_VIEWS else views.DEFAULT_VIEW
    return views.clean_filters(views.BUILTIN_VIEWS[key][1]), key, None, {"view": key}


def _page_of(queue, order):
    """One page by keyset, the cursors for next/previous, and whether they exist."""
    after, before = request.args.get("after"), request.args.get("before")
    options = (joinedload(Ticket.assignee), joinedload(Ticket.requester), joinedload(Ticket.group),
               selectinload(Ticket.tags))
    if before:
        rows = db.session.scalars(queue.page_before(before, PER_PAGE + 1).options(*options)).unique().all()
        has_prev, has_next = len(rows) > PER_PAGE, True
        rows = rows[-PER_PAGE:]
    else:
        stmt = queue.page_after(after, PER_PAGE + 1) if after else queue.first_page(PER_PAGE + 1)
        rows = db.session.scalars(stmt.options(*options)).unique().all()
        has_prev, has_next = bool(after), len(rows) > PER_PAGE
        rows = rows[:PER_PAGE]
    return {
        "tickets": rows,
        "next_cursor": cursor_of(rows[-1], order) if rows and has_next else None,
        "prev_cursor": cursor_of(rows[0], order) if rows and has_prev else None,
    }


@bp.get("/agent/")
@require("agent")
def agent_queue():
    started = time.perf_counter()
    now = utcnow()
    status, error = 200, None
    try:
        filters, builtin, saved, page_args = _chosen_filters(request.args)
    except DomainError as exc:
        filters, builtin, saved, page_args = {}, None, None, {}
        status, error = exc.status if exc.status != 422 else 400, exc.message
    page = {"tickets": [], "next_cursor": None, "prev_cursor": None}
    if error is None:
        try:
            page = _page_of(views.queue_for(current_user, filters, now), filters.get("sort", "sla"))
        except BadCursor as exc:
            status, error = 400, exc.message
        except DomainError as exc:
            status, error = 400, exc.message
    saved_views = views.visible_views(current_user)
    agents = _agents()
    bulk_form = BulkForm(formdata=None)
    bulk_form.assignee.choices = [("me", _("Me")), ("none", _("Nobody"))] + [(str(a.id), a.display_name) for a in agents]
    html = render_template(
        "support/queue.html", now=now, filters=filters, builtin=builtin, saved=saved, error=error,
        described=views.describe(filters, current_user), saved_views=saved_views,
        counts=views.view_counts(current_user, now, cached_only=True), count_cap=views.COUNT_CAP,
        builtin_views=views.BUILTIN_VIEWS, agents=agents, groups=_groups(), statuses=rules.STATUSES,
        priorities=rules.PRIORITIES, sorts=views.SORTS, breach_labels=views.BREACH_LABELS,
        assignee_choices=views.ASSIGNEE_CHOICES, save_form=SaveViewForm(formdata=None),
        rename_form=RenameViewForm(formdata=None, name=saved.name if saved else ""), action_form=ActionForm(),
        bulk_form=bulk_form, can_write=can(current_user, "agent", write=True),
        page_args=page_args, topic_choices=topic_choices(filters.get("topic")), **page,
    )
    elapsed = (time.perf_counter() - started) * 1000
    return html, status, {"Server-Timing": f"app;dur={elapsed:.1f}"}


@bp.get("/agent/views/counts")
@require("agent")
def agent_view_counts():
    """The sidebar's counts as text ("1,000+" past the cap), fetched by the queue page's script."""
    cap = views.COUNT_CAP
    counts = views.view_counts(current_user)
    return {name: ("–" if n is None else f"{cap:,}+" if n > cap else f"{n:,}") for name, n in counts.items()}


@bp.post("/agent/bulk")
@require("agent")
def agent_bulk():
    form = BulkForm()
    form.assignee.choices = []
    if not form.validate_on_submit():
        flash(_("Choose what to do with the checked tickets."), "error")
        return redirect(_back_to_queue())
    try:
        result = bulk_update(current_user, request.form.getlist("ticket_ids"), form.action.data, form.value())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_back_to_queue())
    db.session.commit()
    if result.done:
        flash(_("%(n)d ticket(s) changed: %(ids)s.", n=len(result.done),
                ids=", ".join(f"#{i}" for i in result.done)), "success")
    for ticket_id, reason in result.failed:
        flash(_("#%(id)d was not changed: %(reason)s", id=ticket_id, reason=reason), "error")
    return redirect(_back_to_queue())


@bp.post("/agent/views")
@require("agent")
def agent_save_view():
    form = SaveViewForm()
    if not form.validate_on_submit():
        flash(" ".join(map(str, form.name.errors)) or _("Give the view a name."), "error")
        return redirect(_back_to_queue())
    try:
        filters = views.clean_filters({key: request.form.getlist(key) if key in ("status", "priority")
                                       else request.form.get(key) for key in views.FILTER_KEYS})
        view = views.create_view(current_user, form.name.data, filters, shared=form.shared.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_back_to_queue())
    db.session.commit()
    flash(_("View “%(name)s” saved.", name=view.name), "success")
    return redirect(url_for("support.agent_queue", saved=view.id))


@bp.post("/agent/views/<int:view_id>/rename")
@require("agent")
def agent_rename_view(view_id):
    view = views.get_view(current_user, view_id)
    form = RenameViewForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(" ".join(map(str, form.name.errors)) or _("Give the view a name."), field="name")
        views.rename_view(current_user, view, form.name.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("support.agent_queue", saved=view_id))
    db.session.commit()
    flash(_("View renamed."), "success")
    return redirect(url_for("support.agent_queue", saved=view_id))


@bp.post("/agent/views/<int:view_id>/delete")
@require("agent")
def agent_delete_view(view_id):
    view = views.get_view(current_user, view_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("support.agent_queue", saved=view_id))
    try:
        views.delete_view(current_user, view)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("support.agent_queue", saved=view_id))
    db.session.commit()
    flash(_("View deleted."), "success")
    return redirect(url_for("support.agent_queue"))


# --- the ticket page -------------------------------------------------------------------------------

def _fields_form(ticket, formdata=None):
    form = TicketFieldsForm(formdata=formdata)
    allowed = {ticket.status} | rules.TRANSITIONS[ticket.status]
    form.status.choices = [(s, STATUS_LABELS[s]) for s in rules.STATUSES if s in allowed]
    form.assignee.choices = [("", _("Unassigned"))] + [(str(a.id), f"{a.display_name} <{a.email}>") for a in _agents()]
    if ticket.assignee is not None and str(ticket.assignee_id) not in dict(form.assignee.choices):
        form.assignee.choices.append((str(ticket.assignee_id), ticket.assignee.display_name))
    form.group.choices = [("", _("None"))] + [(str(g.id), g.name) for g in _groups()]
    if formdata is None:
        form.status.data, form.priority.data = ticket.status, ticket.priority_name
        form.assignee.data = str(ticket.assignee_id or "")
        form.group.data = str(ticket.group_id or "")
        form.tags.data = ", ".join(ticket.tag_names)
        form.version.data = str(ticket.version)
        form.seen_event.data = str(ticket.events[-1].id if ticket.events else 0)
    return form


def _ticket_page(ticket, status=200, **extra):
    """Render the ticket page; `extra` overrides forms or adds a warning, a preview or an error."""
    now = utcnow()
    can_write = can(current_user, "agent", write=True)
    context = {
        "ticket": ticket, "now": now, "can_write": can_write,
        "fields_form": _fields_form(ticket), "reply_form": AgentReplyForm(formdata=None),
        "macros": macros.active_macros() if can_write else [], "preview": None, "conflict": None, "error": None,
        "action_form": ActionForm(), "uploads": upload_rules(),
        "clocks": db.session.scalars(select(TicketSlaClock).where(TicketSlaClock.ticket_id == ticket.id)
                                     .order_by(TicketSlaClock.id)).all(),
        "sla_events": db.session.scalars(select(SlaEvent).where(SlaEvent.ticket_id == ticket.id)
                                         .order_by(SlaEvent.at, SlaEvent.id)).all(),
        "other_tickets": _other_tickets(ticket),
        "ticket_topic": ticket_topic(ticket),
    }
    context.update(extra)
    if context["preview"] is None and can_write and request.method == "GET" and request.args.get("macro"):
        try:
            macro = macros.get_macro(request.args.get("macro", type=int))
            context["preview"] = macros.preview_macro(macro, ticket, current_user)
            context["macro_form"] = MacroApplyForm(formdata=None, macro_id=macro.id, body=context["preview"].body,
                                                   version=ticket.version,
                                                   seen_event=ticket.events[-1].id if ticket.events else 0)
        except DomainError as exc:
            context["error"], status = exc.message, exc.status
    return render_template("support/agent_ticket.html", **context), status


def _other_tickets(ticket):
    if ticket.requester_id is None:
        return []
    return db.session.scalars(
        select(Ticket).where(Ticket.requester_id == ticket.requester_id, Ticket.id != ticket.id,
                             Ticket.is_spam.is_(False))
        .order_by(Ticket.created_at.desc()).limit(RECENT_TICKETS)
    ).all()


def _conflict(ticket_id, seen_event, mine):
    """The fresh ticket, and what others changed since `seen_event`, for the warning."""
    db.session.rollback()
    ticket = get_ticket(ticket_id)
    theirs = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.id > seen_event)
        .order_by(TicketEvent.id)).all()
    return ticket, {"events": theirs, "mine": mine}


@bp.get("/agent/tickets/<int:ticket_id>")
@require("agent")
def agent_ticket(ticket_id):
    return _ticket_page(get_ticket(ticket_id))


@bp.post("/agent/tickets/<int:ticket_id>/messages")
@require("agent")
def agent_message(ticket_id):
    ticket = get_ticket(ticket_id)
    form = AgentReplyForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket, 400, reply_form=form)
    try:
        uploads = validate_uploads(request.files.getlist(form.attachments.name))
        message = add_message(ticket, current_user, form.body.data, public=not form.internal.data, via="web")
        store_attachments(message, uploads)
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        if target is None or exc.field == "public":
            target = form.body
        target.errors = list(target.errors) + [exc.message]
        return _ticket_page(get_ticket(ticket_id), exc.status, reply_form=form)
    db.session.commit()
    flash(_("Internal note added.") if form.internal.data else _("Reply sent."), "success")
    return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))


def _field_changes(form, ticket):
    """The submitted field values as update_ticket changes (only the fields that differ)."""
    agent = db.session.get(User, int(form.assignee.data)) if form.assignee.data.isdigit() else None
    group = db.session.get(Group, int(form.group.data)) if form.group.data.isdigit() else None
    tags = [t for t in form.tags.data.replace(",", " ").split()] if form.tags.data else []
    wanted = {"status": form.status.data, "priority": form.priority.data,
              "assignee_email": agent.email if agent else None, "group": group.name if group else None,
              "tags": tags}
    current = {"status": ticket.status, "priority": ticket.priority_name,
               "assignee_email": ticket.assignee.email if ticket.assignee else None,
               "group": ticket.group.name if ticket.group else None, "tags": ticket.tag_names}
    changes = {k: v for k, v in wanted.items() if v != current[k]}
    if "tags" in changes and sorted(rules.normalize_tag(t) for t in tags) == sorted(ticket.tag_names):
        del changes["tags"]
    return changes


@bp.post("/agent/tickets/<int:ticket_id>/fields")
@require("agent")
def agent_update_fields(ticket_id):
    ticket = get_ticket(ticket_id)
    form = _fields_form(ticket, formdata=request.form)
    if not form.validate_on_submit():
        if ticket.version != form.version_number():
            ticket, conflict = _conflict(ticket_id, form.seen_event_id(), {})
            return _ticket_page(ticket, 409, conflict=conflict)
        return _ticket_page(ticket, 400, fields_form=form)
    changes = _field_changes(form, ticket)
    try:
        update_ticket(ticket, current_user, changes, expected_version=form.version_number())
        db.session.flush()
    except (Conflict, StaleDataError):
        ticket, conflict = _conflict(ticket_id, form.seen_event_id(), changes)
        return _ticket_page(ticket, 409, conflict=conflict)
    except DomainError as exc:
        db.session.rollback()
        return _ticket_page(get_ticket(ticket_id), exc.status, error=exc.message)
    db.session.commit()
    flash(_("Ticket updated.") if changes else _("Nothing to change."), "success")
    return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))


@bp.post("/agent/tickets/<int:ticket_id>/macro")
@require("agent")
def agent_apply_macro(ticket_id):
    ticket = get_ticket(ticket_id)
    form = MacroApplyForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket, 400, error=_("Choose a macro and preview it first."))
    try:
        macro = macros.get_macro(form.macro_id.data)
        macros.apply_macro(macro, ticket, current_user, body=form.body.data or "",
                           expected_version=form.version_number())
        db.session.flush()
    except (Conflict, StaleDataError):
        ticket, conflict = _conflict(ticket_id, form.seen_event_id(), {})
        return _ticket_page(ticket, 409, conflict=conflict)
    except DomainError as exc:
        db.session.rollback()
        return _ticket_page(get_ticket(ticket_id), exc.status, error=exc.message)
    db.session.commit()
    flash(_("Macro “%(name)s” applied.", name=macro.name), "success")
    return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))


@bp.route("/agent/tickets/<int:ticket_id>/spam", methods=["GET", "POST"])
@require("agent")
def agent_mark_spam(ticket_id):
    ticket = get_ticket(ticket_id)
    form = SpamForm()
    if not form.validate_on_submit():
        return render_template("support/agent_spam.html", ticket=ticket, form=form,
                               can_write=can(current_user, "agent", write=True)), (
            400 if request.method == "POST" else 200)
    blocked = spam.mark_spam(ticket, current_user, reason=form.reason.data)
    db.session.commit()
    flash(_("Ticket #%(n)d marked as spam; %(email)s is blocked.", n=ticket.id, email=blocked.email)
          if blocked else _("Ticket #%(n)d marked as spam.", n=ticket.id), "success")
    return redirect(url_for("support.agent_queue"))


@bp.post("/agent/tickets/<int:ticket_id>/not-spam")
@require("agent")
def agent_unmark_spam(ticket_id):
    ticket = get_ticket(ticket_id)
    if ActionForm().validate_on_submit():
        spam.unmark_spam(ticket, current_user)
        db.session.commit()
        flash(_("Ticket #%(n)d is back in the queue.", n=ticket.id), "success")
    return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))
