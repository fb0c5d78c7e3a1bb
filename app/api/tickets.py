"""Ticket endpoints. Thin: parse (schemas), check the role, call one service, commit once."""

from flask import abort, request
from flask.views import MethodView
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_user
from app.api.queries import ticket_page
from app.api.schemas import (
    MessageCreateSchema,
    MessageSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListArgs,
    TicketPageSchema,
    TicketSchema,
    TicketUpdateSchema,
)
from app.core.errors import DomainError, Forbidden
from app.core.permissions import can, ensure_can_view_ticket
from app.extensions import db
from app.models import Ticket
from app.models.base import utcnow
from app.support.services import add_message, create_ticket_first_in_transaction, normalize_email, update_ticket

MAX_ID = 2**31 - 1  # ids beyond the column's range are simply not found (PostgreSQL would raise)

IF_MATCH_DOC = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ticket's ETag (its version). A stale one gets 409 conflict instead of overwriting.",
}


class TicketWithMessages:
    """A ticket as one viewer sees it: customers never get internal notes."""

    def __init__(self, ticket, viewer):
        self._ticket = ticket
        self.messages = ticket.messages if viewer.is_staff else ticket.public_messages

    def __getattr__(self, name):
        return getattr(self._ticket, name)


def _visible_ticket(user, ticket_id):
    ticket = db.session.get(Ticket, ticket_id) if ticket_id <= MAX_ID else None
    return ensure_can_view_ticket(user, ticket)


def _etag(ticket):
    return {"ETag": f'"{ticket.version}"'}


def _if_match_version():
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        abort(400, _("If-Match must be the ticket's ETag, as sent with the ticket."))
    return int(value)


def _creation_values(user, args):
    """Who may open a ticket for whom: staff for anyone, customers for themselves only."""
    values = {key: args.get(key) for key in ("subject", "body", "priority", "language")}
    if can(user, "agent", write=True):
        if not args.get("requester_email"):
            raise DomainError(_("requester_email: Missing data for required field."), field="requester_email")
        values.update(requester_email=args["requester_email"], organization=args.get("organization"))
        return values
    if not can(user, "portal", write=True):
        raise Forbidden(_("Your role can read tickets but not open them."))
    email = args.get("requester_email")
    if email and normalize_email(email) != user.email:
        raise Forbidden(_("Customers can only open tickets for themselves."))
    org_name = (args.get("organization") or "").strip().lower()
    if org_name and (user.organization is None or user.organization.name.lower() != org_name):
        raise Forbidden(_("Customers can only open tickets for their own organization."))
    values.update(requester_email=None, organization=user.organization)
    return values


@bp.route("/tickets")
class Tickets(MethodView):
    @bp.doc(summary="List tickets", description="Newest first unless `sort` says otherwise. "
            "Customers see their own tickets (and their organization's where it shares them).")
    @bp.arguments(TicketListArgs, location="query")
    @bp.response(200, TicketPageSchema)
    def get(self, args):
        tickets, total = ticket_page(api_user(), args)
        return {"items": tickets, "total": total, "page": args["page"], "per_page": args["per_page"]}

    @bp.doc(summary="Open a ticket", description="Channel `api`. Customers open tickets for themselves only.")
    @bp.arguments(TicketCreateSchema)
    @bp.response(201, TicketSchema)
    def post(self, args):
        user = api_user()
        ticket = create_ticket_first_in_transaction(user, channel="api", now=utcnow(),
                                                    **_creation_values(user, args))
        db.session.commit()
        return ticket, 201, _etag(ticket)


@bp.route("/tickets/<int:ticket_id>")
class TicketItem(MethodView):
    @bp.doc(summary="One ticket with its messages")
    @bp.response(200, TicketDetailSchema)
    def get(self, ticket_id):
        user = api_user()
        ticket = _visible_ticket(user, ticket_id)
        return TicketWithMessages(ticket, user), 200, _etag(ticket)

    @bp.doc(summary="Change a ticket (agents, admins)", parameters=[IF_MATCH_DOC],
            description="Only the fields sent change; `tags` replaces the list.")
    @bp.arguments(TicketUpdateSchema)
    @bp.response(200, TicketDetailSchema)
    def patch(self, args, ticket_id):
        user = api_user()
        ticket = _visible_ticket(user, ticket_id)
        if not can(user, "agent", write=True):
            raise Forbidden(_("Your role cannot change tickets."))
        update_ticket(ticket, user, args, expected_version=_if_match_version(), now=utcnow())
        db.session.commit()
        return TicketWithMessages(ticket, user), 200, _etag(ticket)


@bp.route("/tickets/<int:ticket_id>/messages")
class TicketMessages(MethodView):
    @bp.doc(summary="Reply or add an internal note",
            description="`public: true` is a reply; `false` an internal note (agents and admins only).")
    @bp.arguments(MessageCreateSchema)
    @bp.response(201, MessageSchema)
    def post(self, args, ticket_id):
        user = api_user()
        ticket = _visible_ticket(user, ticket_id)
        if user.is_staff and not can(user, "agent", write=True):
            raise Forbidden(_("Your role can read tickets but not write on them."))
        if not user.is_staff and not args["public"]:
            raise Forbidden(_("Only staff can write internal notes."))
        message = add_message(ticket, user, args["body"], public=args["public"], via="api", now=utcnow())
        db.session.commit()
        return message, 201


