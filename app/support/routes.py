"""Customer-facing support pages: the help center, the public request form and the portal.

The agent side lives in agent_routes.py.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required

from app.core.errors import DomainError
from app.core.permissions import can, ensure_can_view_ticket, require
from app.extensions import db, limiter
from app.models import Ticket
from app.support import bp
from app.support.forms import CustomerReplyForm, NewTicketForm
from app.support.queries import queue_query
from app.support.services import add_message, create_ticket, get_ticket

PER_PAGE = 25
MAX_PAGE = 100_000

def _page_number():
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


@bp.get("/")
def home():
    return render_template("support/home.html")


# --- the public request form -----------------------------------------------------------------

@bp.errorhandler(RateLimitExceeded)
def _too_many(exc):
    form = NewTicketForm(formdata=None)
    return render_template("support/new_ticket.html", form=form, error=_(
        "You sent several requests in a short time. Please wait a minute and try again.")), 429


def _signed_in_customer():
    return current_user if current_user.is_authenticated and current_user.role == "customer" else None


@bp.route("/tickets/new", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_TICKET_FORM"], methods=["POST"])
def new_ticket():
    customer = _signed_in_customer()
    form = NewTicketForm()
    if request.method == "GET" and customer is not None:
        form.email.data, form.name.data = customer.email, customer.name
    if not form.validate_on_submit():
        return render_template("support/new_ticket.html", form=form), (400 if request.method == "POST" else 200)
    if form.website.data:
        return render_template("support/new_ticket.html", form=form,
                               error=_("Your request could not be sent.")), 400
    if request.files.getlist("attachments") and any(f.filename for f in request.files.getlist("attachments")):
        # Uploads arrive with the attachment storage (next issue); refuse rather than drop them silently.
        return render_template("support/new_ticket.html", form=form, error=_(
            "Attachments cannot be sent yet. Please submit your request without them.")), 422
    try:
        ticket = create_ticket(
            customer, body=form.body.data, subject=form.subject.data or "",
            requester_email=customer.email if customer is not None else form.email.data,
            requester_name=form.name.data or "", channel="web",
        )
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None:
            field.errors = list(field.errors) + [exc.message]
            return render_template("support/new_ticket.html", form=form), exc.status
        return render_template("support/new_ticket.html", form=form, error=exc.message), exc.status
    db.session.commit()
    return render_template("support/ticket_submitted.html", ticket=ticket)


# --- the customer portal ---------------------------------------------------------------------

@bp.get("/portal/")
@login_required
def portal():
    if current_user.is_staff:
        return redirect(url_for("support.agent_queue"))
    page = _page_number()
    tickets = db.session.scalars(queue_query(current_user, order="newest").page(page, PER_PAGE)).all()
    return render_template("support/portal.html", tickets=tickets, page=page, has_next=len(tickets) == PER_PAGE)


def _portal_ticket(ticket_id):
    return ensure_can_view_ticket(current_user, db.session.get(Ticket, ticket_id))


@bp.get("/portal/tickets/<int:ticket_id>")
@login_required
def portal_ticket(ticket_id):
    if current_user.is_staff:
        return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))
    ticket = _portal_ticket(ticket_id)
    return render_template("support/portal_ticket.html", ticket=ticket, form=CustomerReplyForm(formdata=None))


@bp.post("/portal/tickets/<int:ticket_id>/reply")
@login_required
def portal_reply(ticket_id):
    if current_user.is_staff:
        return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))
    ticket = _portal_ticket(ticket_id)
    form = CustomerReplyForm()
    if not form.validate_on_submit():
        return render_template("support/portal_ticket.html", ticket=ticket, form=form), 400
    try:
        add_message(ticket, current_user, form.body.data, public=True, via="web")
    except DomainError as exc:
        db.session.rollback()
        form.body.errors = list(form.body.errors) + [exc.message]
        return render_template("support/portal_ticket.html", ticket=_portal_ticket(ticket_id), form=form), exc.status
    db.session.commit()
    flash(_("Your reply was sent."), "success")
    return redirect(url_for("support.portal_ticket", ticket_id=ticket_id))
