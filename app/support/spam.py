"""Spam: hiding a ticket from the queue and refusing further requests from its sender."""

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.models import BlockedSender
from app.models.base import utcnow
from app.support.services import normalize_email, record_event

REASON_MAX = 200


class BlockedSenderError(DomainError):
    """A request from an address an agent blocked as a spammer."""


def _normalized(email):
    try:
        return normalize_email(email)
    except DomainError:
        return None


def is_blocked(email):
    address = _normalized(email)
    return address is not None and db.session.scalar(
        select(BlockedSender.id).where(BlockedSender.email == address)) is not None


def ensure_not_blocked(email):
    if email and is_blocked(email):
        raise BlockedSenderError(_("We cannot accept requests from this e-mail address."), field="email")


def mark_spam(ticket, actor, now=None, reason=""):
    """Hide the ticket and block its requester's address (staff requesters are never blocked).

    Returns the BlockedSender row (None when nobody was blocked). Marking twice is harmless.
    """
    now = now or utcnow()
    reason = (reason or "").strip()[:REASON_MAX] or _("Marked as spam on ticket #%(n)d", n=ticket.id)
    if not ticket.is_spam:
        ticket.is_spam = True
        ticket.updated_at = now
        record_event(ticket, actor, "spam", "spam", "no", "yes", now=now)
    requester = ticket.requester
    blocked = None
    if requester is not None and not requester.is_staff:
        blocked = db.session.scalar(select(BlockedSender).where(BlockedSender.email == requester.email))
        if blocked is None:
            blocked = BlockedSender(email=requester.email, reason=reason,
                                    created_by_id=actor.id if actor else None, created_at=now)
            db.session.add(blocked)
    db.session.flush()
    return blocked


def unmark_spam(ticket, actor, now=None):
    """Show a ticket in the queue again (its sender stays blocked until an admin unblocks them)."""
    now = now or utcnow()
    if ticket.is_spam:
        ticket.is_spam = False
        ticket.updated_at = now
        record_event(ticket, actor, "spam", "spam", "yes", "no", now=now)
        db.session.flush()


def blocked_senders():
    return db.session.scalars(select(BlockedSender).order_by(BlockedSender.created_at.desc(), BlockedSender.id.desc())).all()


def unblock(actor, blocked):
    """Admins only (the route checks): the address may write in again."""
    if actor is None or actor.role != "admin":
        raise DomainError(_("Only admins can unblock senders."))
    db.session.delete(blocked)
    db.session.flush()
