"""Follow-up work for tickets. Each job reloads by id and is safe to run twice."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.auth.services import password_link
from app.extensions import db
from app.jobs import job, periodic
from app.mail import queue_mail
from app.models import Message, OutboundMail, Ticket
from app.models.base import utcnow
from app.support.csat import csat_url


def _already_mailed(kind, ticket_id, marker=None):
    query = select(OutboundMail.id).where(OutboundMail.kind == kind, OutboundMail.ticket_id == ticket_id)
    if marker is not None:
        query = query.where(OutboundMail.subject.contains(marker))
    return db.session.scalar(query.limit(1)) is not None


def portal_url(ticket_id):
    return f"{current_app.config['BASE_URL']}/portal/tickets/{ticket_id}"


def _password_url(user):
    """A set-password link for requesters who have none yet, so the portal link can be used."""
    return password_link(user) if user.password_hash is None and user.active else None


@job("support.ticket_created")
def ticket_created(ticket_id, notify=True):
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        return
    if notify and ticket.requester is not None and not _already_mailed("ticket_received", ticket.id):
        queue_mail(
            ticket.requester.email, "ticket_received", kind="ticket_received", ticket_id=ticket.id,
            locale=ticket.requester.locale or ticket.language, ticket=ticket, url=portal_url(ticket.id),
            password_url=_password_url(ticket.requester),
        )


@job("support.agent_replied")
def agent_replied(message_id):
    message = db.session.get(Message, message_id)
    if message is None or not message.public:
        return
    ticket = message.ticket
    if ticket.requester is None:
        return
    marker = f"[#{ticket.id}.{message.id}]"
    if _already_mailed("agent_replied", ticket.id, marker):
        return
    queue_mail(
        ticket.requester.email, "agent_replied", kind="agent_replied", ticket_id=ticket.id,
        locale=ticket.requester.locale or ticket.language, ticket=ticket, message=message,
        marker=marker, url=portal_url(ticket.id),
    )


@job("support.ticket_solved")
def ticket_solved(ticket_id):
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.requester is None or ticket.status != "solved":
        return
    marker = f"[#{ticket.id}/{ticket.reopen_count}]"
    if _already_mailed("ticket_solved", ticket.id, marker):
        return
    queue_mail(
        ticket.requester.email, "ticket_solved", kind="ticket_solved", ticket_id=ticket.id,
        locale=ticket.requester.locale or ticket.language, ticket=ticket, marker=marker,
        url=portal_url(ticket.id), good_url=csat_url(ticket, "good"), bad_url=csat_url(ticket, "bad"),
    )


@job("support.close_solved", queue="low")
def close_solved_tickets():
    """Periodic: solved tickets close themselves after SOLVED_CLOSE_AFTER_DAYS."""
    from app.support.services import change_status

    now = utcnow()
    cutoff = now - timedelta(days=current_app.config["SOLVED_CLOSE_AFTER_DAYS"])
    while True:
        batch = db.session.scalars(
            select(Ticket).where(Ticket.status == "solved", Ticket.solved_at <= cutoff).order_by(Ticket.id).limit(500)
        ).all()
        if not batch:
            return
        for ticket in batch:
            change_status(ticket, None, "closed", now=now)
        db.session.commit()


periodic("support.close_solved", every=3600, queue="low")
