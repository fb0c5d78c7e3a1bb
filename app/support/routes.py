from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.core.permissions import ensure_can_view_ticket, require
from app.extensions import db
from app.models import Ticket
from app.support import bp
from app.support.services import get_ticket


@bp.get("/")
def home():
    return render_template("support/home.html")


@bp.get("/portal/")
@login_required
def portal():
    if current_user.is_staff:
        return redirect(url_for("support.agent_queue"))
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.requester_id == current_user.id, Ticket.is_spam.is_(False))
        .order_by(Ticket.updated_at.desc()).limit(100)
    ).all()
    return render_template("support/portal.html", tickets=tickets)


@bp.get("/portal/tickets/<int:ticket_id>")
@login_required
def portal_ticket(ticket_id):
    ticket = ensure_can_view_ticket(current_user, db.session.get(Ticket, ticket_id))
    return render_template("support/portal_ticket.html", ticket=ticket)


@bp.get("/agent/")
@require("agent")
def agent_queue():
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(25)).all()
    return render_template("support/queue.html", tickets=tickets)


@bp.get("/agent/tickets/<int:ticket_id>")
@require("agent")
def agent_ticket(ticket_id):
    return render_template("support/agent_ticket.html", ticket=get_ticket(ticket_id))
