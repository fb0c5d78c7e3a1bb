"""select() builders behind the ticket list: what a user may see, filters, sorting."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.core.permissions import can
from app.extensions import db
from app.models import Organization, Ticket, User
from app.support import rules


def matching_ticket_ids(q, include_internal):
    """Full text over subjects and messages; internal notes only when `include_internal`."""
    from app.support.search import ticket_ids_matching

    return ticket_ids_matching(q, include_internal=include_internal)


def visible_tickets(user):
    """Staff see every ticket; customers their own and, where allowed, their organization's."""
    stmt = select(Ticket)
    if can(user, "agent"):
        return stmt
    mine = Ticket.requester_id == user.id
    if user.organization_id is not None:
        shared = db.session.scalar(
            select(Organization.shared_tickets).where(Organization.id == user.organization_id)
        )
        if shared:
            mine = or_(mine, Ticket.organization_id == user.organization_id)
    return stmt.where(mine, Ticket.is_spam.is_(False))


def _assignee_clause(user, assignee):
    if assignee == "me":
        return Ticket.assignee_id == user.id
    if assignee == "none":
        return Ticket.assignee_id.is_(None)
    return Ticket.assignee_id.in_(select(User.id).where(User.email == assignee.strip().lower()))


_SORTS = {
    "created_at": (Ticket.created_at.asc(), Ticket.id.asc()),
    "-created_at": (Ticket.created_at.desc(), Ticket.id.desc()),
    "updated_at": (Ticket.updated_at.asc(), Ticket.id.asc()),
    "-updated_at": (Ticket.updated_at.desc(), Ticket.id.desc()),
    "priority": (Ticket.priority.asc(), Ticket.id.desc()),
    "-priority": (Ticket.priority.desc(), Ticket.id.desc()),
    # Tickets without a running clock come last.
    "due_at": (Ticket.due_at.is_(None), Ticket.due_at.asc(), Ticket.id.asc()),
}


def ticket_list(user, args):
    """The filtered statement (unsorted, for counting) and its sort order, from parsed list args."""
    stmt = visible_tickets(user)
    if args.get("status"):
        stmt = stmt.where(Ticket.status.in_(args["status"]))
    if args.get("priority"):
        stmt = stmt.where(Ticket.priority.in_([rules.PRIORITIES[name] for name in args["priority"]]))
    if args.get("assignee"):
        stmt = stmt.where(_assignee_clause(user, args["assignee"]))
    if args.get("organization"):
        name = args["organization"].strip().lower()
        stmt = stmt.where(Ticket.organization_id.in_(
            select(Organization.id).where(func.lower(Organization.name) == name)))
    if (args.get("q") or "").strip():  # a blank q is no filter, like an empty search box
        stmt = stmt.where(Ticket.id.in_(matching_ticket_ids(args["q"], include_internal=user.is_staff)))
    return stmt, _SORTS[args.get("sort") or "-created_at"]


def ticket_page(user, args):
    """(tickets, total) for one page of the list."""
    stmt, order = ticket_list(user, args)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    tickets = db.session.scalars(
        stmt.order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(
            selectinload(Ticket.requester),
            selectinload(Ticket.assignee),
            selectinload(Ticket.organization),
            selectinload(Ticket.group),
            selectinload(Ticket.tags),
        )
    ).all()
    return tickets, total
