"""Shared entities; importing this package registers every table on the metadata."""

from app.models.desk import BlockedSender, CsatResponse, Macro, SavedView
from app.models.jobs import JobRecord, OutboundMail, PeriodicTick
from app.models.organization import Group, Organization, OrganizationDomain, group_members
from app.models.sla import BusinessCalendar, CalendarHoliday, SlaEvent, SlaPolicy, SlaTarget, TicketSlaClock
from app.models.ticket import Attachment, Message, Tag, Ticket, TicketEvent, TicketSearchDocument, ticket_tags
from app.models.user import ROLES, STAFF_ROLES, ApiToken, User

__all__ = [
    "BlockedSender", "BusinessCalendar", "CalendarHoliday", "CsatResponse", "Macro", "SavedView", "SlaEvent",
    "SlaPolicy", "SlaTarget", "TicketSlaClock",
    "ApiToken", "Attachment", "Group", "JobRecord", "Message", "Organization", "OrganizationDomain",
    "OutboundMail", "PeriodicTick", "ROLES", "STAFF_ROLES", "Tag", "Ticket", "TicketEvent", "TicketSearchDocument",
    "User", "group_members", "ticket_tags",
]

from app.models import health as _health, kb as _kb, kb_index as _kb_index  # noqa: E402,F401
from app.models import playbooks as _playbooks, success as _success  # noqa: E402,F401

# Keeps each ticket's search documents in step on every flush (session events, registered at import).
from app.support import search as _search  # noqa: E402,F401
