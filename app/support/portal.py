"""Customer use cases: submit a request, reply in the portal, mark a request solved.

Like every service they take `now`, flush and never commit; the view commits once.
"""

from flask_babel import gettext as _

from app.core.errors import DomainError, Forbidden
from app.models.base import utcnow
from app.support import rules
from app.support.attachments import store_attachments
from app.support.services import (add_message, change_status, create_ticket, create_ticket_first_in_transaction,
                                  record_event)
from app.support.spam import BlockedSenderError


def submit_request(customer, *, email, name="", subject="", body, uploads=(), locale=None, now=None):
    """A request from the public form, or None when the sender is blocked (refused quietly).

    A signed-in customer always writes as themselves, whatever address the form carried. A new
    requester gets `locale` (the form's language) for the e-mails that follow.
    """
    now = now or utcnow()
    address = customer.email if customer is not None else email
    try:
        # create_ticket refuses blocked senders before it writes anything.
        ticket = create_ticket_first_in_transaction(
            customer, body=body, subject=subject, requester_email=address, requester_name=name or "",
            requester_locale=locale, channel="web", now=now)
    except BlockedSenderError:
        return None
    if uploads:
        store_attachments(ticket.messages[0], uploads, now=now)
    return ticket


def reply_as_customer(ticket, customer, body, uploads=(), now=None):
    """(message, follow_up): a public reply, reopening a solved ticket; on a closed ticket a new
    ticket linked to it carries the reply instead (closed is final)."""
    now = now or utcnow()
    follow_up = None
    if ticket.status == "closed":
        follow_up = create_ticket(customer, body=body, subject=ticket.subject, channel="web", now=now)
        follow_up.follow_up_of_id = ticket.id
        record_event(follow_up, customer, "follow_up", field="follow_up_of", new=ticket.id, now=now)
        message = follow_up.messages[0]
    else:
        message = add_message(ticket, customer, body, public=True, via="web", now=now)
    if uploads:
        store_attachments(message, uploads, now=now)
    return message, follow_up


def can_mark_solved(ticket, user):
    return user is not None and ticket.requester_id == user.id and ticket.status in rules.ACTIVE_STATUSES


def mark_solved_by_requester(ticket, customer, now=None):
    """The requester's "This is solved": the ticket becomes solved (and the solved mail asks for CSAT)."""
    if ticket.requester_id != customer.id:
        raise Forbidden(_("Only the person who asked can mark this request as solved."))
    if ticket.status == "solved":
        return False
    if ticket.status not in rules.ACTIVE_STATUSES:
        raise DomainError(_("This request is closed."), field="status")
    return change_status(ticket, customer, "solved", now=now or utcnow())
