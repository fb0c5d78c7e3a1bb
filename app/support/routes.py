"""Customer-facing support pages: the help center, the public request form, the portal,
attachment downloads and the CSAT links.

The agent side lives in agent_routes.py.
"""

import functools

from flask import abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import get_locale
from markupsafe import escape
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.errors import DomainError
from app.core.permissions import can_view_ticket, ensure_can_view_ticket
from app.extensions import db, limiter
from app.i18n import chosen_language, set_language_return
from app.models import Message, Ticket
from app.support import bp, csat
from app.support.attachments import attachment_for_viewer, file_path, upload_rules, validate_uploads
from app.support.customer_forms import CsatCommentForm, PortalReplyForm, RequesterSolvedForm, RequestForm
from app.support.portal import can_mark_solved, mark_solved_by_requester, reply_as_customer, submit_request
from app.support.queries import queue_query

PER_PAGE = 25
MAX_PAGE = 100_000


def _page_number():
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


def _show_error(form, exc):
    """Put a DomainError on its field when the form has one, else return it as a page message."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
        return None
    return exc.message


@bp.get("/")
def home():
    return render_template("support/home.html")


# --- the public request form -----------------------------------------------------------------

def _request_page(form, status=200, error=None):
    return render_template("support/new_ticket.html", form=form, error=error, uploads=upload_rules()), status


def _blank_request_page():
    """The empty form as an anonymous visitor gets it: the same page for everyone in a language but
    for the CSRF token, so it is rendered once per process and language (most of a GET's CPU went
    into rendering the form's widgets; the form itself is built only then). Templates that reload
    (development) are always rendered."""
    set_language_return(request.path)  # the form ignores query arguments; so do its language links
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or current_app.jinja_env.auto_reload \
            or session.get("_flashes"):
        return _request_page(RequestForm())
    token = generate_csrf()  # what the form's hidden field would carry
    uploads = upload_rules()
    key = (str(get_locale()), request.script_root, repr(uploads))
    pages = current_app.extensions.setdefault("tandem_blank_request_pages", {})
    parts = pages.get(key)
    if parts is None:
        html, status = _request_page(RequestForm())
        if html.count(token) != 1:
            return html, status
        parts = pages[key] = html.split(token)
    return parts[0] + token + parts[1], 200


@bp.errorhandler(RateLimitExceeded)
def _too_many(exc):
    return _request_page(RequestForm(formdata=None), 429, _(
        "You sent several requests in a short time. Please wait a minute and try again."))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    message = _("The upload is too large: the attachments may add up to %(total)s at most.",
                total=upload_rules()["total"])
    if request.endpoint == "support.new_ticket":
        return _request_page(RequestForm(formdata=None), 413, message)
    return render_template("errors/error.html", status=413, message=message), 413


def _signed_in_customer():
    return current_user if current_user.is_authenticated and current_user.role == "customer" else None


def _limited_posts(view):
    """The form's rate limit, checked only where it can apply: on a POST with the limiter on (the
    limiter's wrapper evaluates its limits on every call, a GET or a disabled limiter too)."""
    limited = limiter.limit(lambda: current_app.config["RATELIMIT_TICKET_FORM"], methods=["POST"])(view)

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if request.method == "POST" and limiter.enabled:
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return checked


@bp.route("/tickets/new", methods=["GET", "POST"])
@_limited_posts
def new_ticket():
    if request.method == "GET" and current_user.is_anonymous:
        return _blank_request_page()
    customer = _signed_in_customer()
    form = RequestForm()
    if request.method == "GET" and customer is not None:
        form.email.data, form.name.data = customer.email, customer.name
    if not form.validate_on_submit():
        return _request_page(form, 400 if request.method == "POST" else 200)
    if form.website.data:
        return _request_page(form, 400, _("Your request could not be sent."))
    try:
        uploads = validate_uploads(form.attachments.data or [])
        ticket = submit_request(customer, email=form.email.data, name=form.name.data, subject=form.subject.data,
                                body=form.body.data, uploads=uploads, locale=chosen_language())
    except DomainError as exc:
        db.session.rollback()
        return _request_page(form, exc.status, _show_error(form, exc))
    # What the page shows is taken before the commit, which would otherwise expire and reload it.
    receipt = ticket and {"number": ticket.number, "email": ticket.requester.email, "id": ticket.id}
    db.session.commit()
    return _submitted_page(receipt)


_NUMBER_MARK, _EMAIL_MARK = "TandemReceiptNumber7e3f", "TandemReceiptEmail7e3f"


def _submitted_page(receipt):
    """The receipt page. For anonymous visitors it differs only by the number and the address, so
    it is rendered once per process and language with markers put in their places (the address
    escaped as the template escapes it)."""
    if (receipt is None or current_user.is_authenticated or current_app.jinja_env.auto_reload
            or session.get("_flashes")):
        return render_template("support/ticket_submitted.html", receipt=receipt)
    key = (str(get_locale()), request.script_root)
    pages = current_app.extensions.setdefault("tandem_submitted_pages", {})
    html = pages.get(key)
    if html is None:
        html = render_template("support/ticket_submitted.html",
                               receipt={"number": _NUMBER_MARK, "email": _EMAIL_MARK, "id": 0})
        if html.count(_NUMBER_MARK) != 1 or html.count(_EMAIL_MARK) != 1:
            return render_template("support/ticket_submitted.html", receipt=receipt)
        pages[key] = html
    # The number first: the address, which the sender chose, is put in last and never searched.
    return html.replace(_NUMBER_MARK, str(int(receipt["number"]))).replace(_EMAIL_MARK, str(escape(receipt["email"])))


# --- the customer portal ---------------------------------------------------------------------

@bp.get("/portal/")
@login_required
def portal():
    if current_user.is_staff:
        return redirect(url_for("support.agent_queue"))
    page = _page_number()
    # The list shows each ticket's requester (colleagues' tickets when the organization shares them).
    tickets = db.session.scalars(
        queue_query(current_user, order="newest").page(page, PER_PAGE).options(selectinload(Ticket.requester))
    ).all()
    return render_template("support/portal.html", tickets=tickets, page=page, has_next=len(tickets) == PER_PAGE)


def _portal_ticket(ticket_id):
    return ensure_can_view_ticket(current_user, db.session.get(Ticket, ticket_id))


def _render_portal_ticket(ticket, form=None, status=200, error=None):
    # The public conversation only: internal notes (and their files) never reach this page.
    messages = db.session.scalars(
        select(Message).where(Message.ticket_id == ticket.id, Message.public.is_(True))
        .options(selectinload(Message.attachments), selectinload(Message.author)).order_by(Message.id)
    ).all()
    follow_ups = db.session.scalars(
        select(Ticket).where(Ticket.follow_up_of_id == ticket.id, Ticket.is_spam.is_(False)).order_by(Ticket.id)
    ).all()
    return render_template(
        "support/portal_ticket.html", ticket=ticket, messages=messages, error=error,
        follow_ups=[t for t in follow_ups if can_view_ticket(current_user, t)],
        form=form or PortalReplyForm(formdata=None), solved_form=RequesterSolvedForm(formdata=None),
        can_mark_solved=can_mark_solved(ticket, current_user), uploads=upload_rules(),
    ), status


@bp.get("/portal/tickets/<int:ticket_id>")
@login_required
def portal_ticket(ticket_id):
    if current_user.is_staff:
        return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))
    return _render_portal_ticket(_portal_ticket(ticket_id))


@bp.post("/portal/tickets/<int:ticket_id>/reply")
@login_required
def portal_reply(ticket_id):
    if current_user.is_staff:
        return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))
    ticket = _portal_ticket(ticket_id)
    form = PortalReplyForm()
    if not form.validate_on_submit():
        return _render_portal_ticket(ticket, form, 400)
    try:
        uploads = validate_uploads(form.attachments.data or [])
        _message, follow_up = reply_as_customer(ticket, current_user, form.body.data, uploads)
    except DomainError as exc:
        db.session.rollback()
        return _render_portal_ticket(_portal_ticket(ticket_id), form, exc.status, _show_error(form, exc))
    db.session.commit()
    if follow_up is not None:
        flash(_("Request #%(old)s is closed, so your reply opened a new request #%(new)s linked to it.",
                old=ticket.number, new=follow_up.number), "success")
        return redirect(url_for("support.portal_ticket", ticket_id=follow_up.id))
    flash(_("Your reply was sent."), "success")
    return redirect(url_for("support.portal_ticket", ticket_id=ticket_id))


@bp.post("/portal/tickets/<int:ticket_id>/solve")
@login_required
def portal_solve(ticket_id):
    if current_user.is_staff:
        return redirect(url_for("support.agent_ticket", ticket_id=ticket_id))
    ticket = _portal_ticket(ticket_id)
    form = RequesterSolvedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        mark_solved_by_requester(ticket, current_user)
    except DomainError as exc:
        db.session.rollback()
        return _render_portal_ticket(_portal_ticket(ticket_id), status=exc.status, error=exc.message)
    db.session.commit()
    flash(_("Thank you! We marked your request as solved."), "success")
    return redirect(url_for("support.portal_ticket", ticket_id=ticket_id))


# --- attachments -----------------------------------------------------------------------------

@bp.get("/attachments/<int:attachment_id>")
@login_required
def download_attachment(attachment_id):
    attachment = attachment_for_viewer(current_user, attachment_id)
    path = file_path(attachment)
    if not path.is_file():
        current_app.logger.warning("attachment %s has no file at %s", attachment.id, path)
        abort(404)
    # Always a download with our content type, so an uploaded file is never rendered by the browser.
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- CSAT: one-click links from the solved e-mail, no sign-in --------------------------------

def _csat_page(token, ticket, response, form=None, status=200):
    if form is None:
        form = CsatCommentForm(formdata=None, rating=response.rating if response else None,
                               comment=response.comment if response else None)
    return render_template("support/csat.html", ticket=ticket, response=response, form=form, token=token), status


@bp.get("/csat/<token>")
def csat_rate(token):
    """One click from the e-mail records the rating at once; the page then offers a comment."""
    ticket, solve_count, rating = csat.read_token(token)
    response = csat.rate(ticket, solve_count, rating)
    db.session.commit()
    return _csat_page(token, ticket, response)


@bp.post("/csat/<token>")
def csat_comment(token):
    ticket, solve_count, _rating = csat.read_token(token)
    form = CsatCommentForm()
    if not form.validate_on_submit():
        return _csat_page(token, ticket, csat.response_for(ticket, solve_count), form, 400)
    csat.rate(ticket, solve_count, form.rating.data, comment=form.comment.data or "")
    db.session.commit()
    return render_template("support/csat_thanks.html", ticket=ticket, rating=form.rating.data)
