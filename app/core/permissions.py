"""The one permission layer used by pages, the API and the CLI.

The table mirrors DESIGN.md's role table: an area is readable by some roles and writable by
fewer. Anything not listed is refused.
"""

from functools import wraps

from flask import abort, request
from flask_login import current_user

from app.core.errors import NotFound

AREAS = {
    "portal": {"read": {"customer"}, "write": {"customer"}},
    "agent": {"read": {"agent", "csm", "admin"}, "write": {"agent", "admin"}},
    "kb_edit": {"read": {"agent", "csm", "admin"}, "write": {"agent", "csm", "admin"}},
    "success": {"read": {"agent", "csm", "admin"}, "write": {"csm", "admin"}},
    "admin": {"read": {"admin"}, "write": {"admin"}},
}

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def can(user, area, write=False):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    rule = AREAS[area]
    return user.role in (rule["write"] if write else rule["read"])


def require(area, write=None):
    """Decorate a view: anonymous → login, wrong role → 403.

    `write=None` means "writing when the method is not GET/HEAD/OPTIONS".
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            needs_write = (request.method not in SAFE_METHODS) if write is None else write
            if not can(current_user, area, write=needs_write):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission_area = area
        return wrapped

    return decorator


def can_view_ticket(user, ticket):
    if ticket is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff:
        return True
    if ticket.is_spam:
        return False
    if ticket.requester_id == user.id:
        return True
    org = ticket.organization
    return bool(
        org is not None and org.shared_tickets and user.organization_id == ticket.organization_id
    )


def ensure_can_view_ticket(user, ticket):
    """Customers asking for a ticket that is not theirs get the same answer as a missing one."""
    if not can_view_ticket(user, ticket):
        raise NotFound("Ticket not found.")
    return ticket
