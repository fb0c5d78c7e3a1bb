"""Bulk actions on the tickets an agent checked in the queue.

Each ticket is changed inside its own savepoint: one that the rules refuse (a transition the
workflow does not allow, a closed ticket) is reported and left as it was, the others change.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.models import Ticket, User
from app.models.base import utcnow
from app.support import rules
from app.support.services import assign_ticket, change_status, set_tags

ACTIONS = ("assign", "status", "add_tag")
MAX_TICKETS = 100


@dataclass
class BulkResult:
    done: list = field(default_factory=list)  # ticket ids changed (or already as asked)
    failed: list = field(default_factory=list)  # (ticket id, reason)


def parse_ids(values):
    ids = []
    for raw in values:
        try:
            ticket_id = int(raw)
        except (TypeError, ValueError):
            raise DomainError(_("%(value)s is not a ticket number.", value=raw), field="ticket_ids") from None
        if ticket_id not in ids:
            ids.append(ticket_id)
    if not ids:
        raise DomainError(_("Check at least one ticket first."), field="ticket_ids")
    if len(ids) > MAX_TICKETS:
        raise DomainError(_("Change at most %(n)d tickets at once.", n=MAX_TICKETS), field="ticket_ids")
    return ids


def _prepare(actor, action, value):
    """Check the action once for all tickets; return a function that applies it to one."""
    if action == "assign":
        if value in ("none", ""):
            assignee = None
        elif value == "me":
            assignee = actor
        else:
            assignee = db.session.get(User, int(value)) if str(value).isdigit() else None
            if assignee is None:
                raise DomainError(_("Choose an agent to assign the tickets to."), field="value")
        if assignee is not None and (assignee.role not in ("agent", "admin") or not assignee.active):
            raise DomainError(_("%(email)s cannot be assigned tickets.", email=assignee.email), field="value")
        return lambda ticket, now: assign_ticket(ticket, actor, assignee, now=now)
    if action == "status":
        if value not in rules.STATUSES:
            raise DomainError(_("Choose a status."), field="value")
        return lambda ticket, now: change_status(ticket, actor, value, now=now)
    if action == "add_tag":
        tag = rules.normalize_tag(value or "")
        if not tag:
            raise DomainError(_("Enter a tag to add."), field="value")
        if len(tag) > rules.TAG_MAX:
            raise DomainError(_("The tag is too long (at most %(n)d characters).", n=rules.TAG_MAX), field="value")
        return lambda ticket, now: set_tags(ticket, actor, ticket.tag_names + [tag], now=now)
    raise DomainError(_("Choose what to do with the checked tickets."), field="action")


def bulk_update(actor, ticket_ids, action, value, now=None):
    """Apply one action to each ticket; refusals are collected, not raised."""
    now = now or utcnow()
    ids = parse_ids(ticket_ids)
    apply = _prepare(actor, action, value)
    tickets = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
    result = BulkResult()
    for ticket_id in ids:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            result.failed.append((ticket_id, _("Ticket not found.")))
            continue
        if ticket.status == "closed" and action != "status":
            result.failed.append((ticket_id, _("Closed tickets cannot change.")))
            continue
        savepoint = db.session.begin_nested()
        try:
            apply(ticket, now)
            db.session.flush()
        except DomainError as exc:
            savepoint.rollback()
            result.failed.append((ticket_id, exc.message))
            continue
        savepoint.commit()
        result.done.append(ticket_id)
    return result
