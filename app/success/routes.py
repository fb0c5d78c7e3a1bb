"""Customer success pages. First version: the accounts list; topics, health and playbooks come next."""

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from app.core.permissions import can, require
from app.extensions import db
from app.models import Organization, Ticket
from app.success import bp
from app.support.rules import ACTIVE_STATUSES

PER_PAGE = 50


@bp.get("/success/")
@require("success")
def home():
    page_number = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    page = db.paginate(
        select(Organization).order_by(Organization.mrr.desc(), Organization.name),
        page=page_number, per_page=PER_PAGE, error_out=False,
    )
    ids = [o.id for o in page.items]
    open_counts = dict(db.session.execute(
        select(Ticket.organization_id, func.count(Ticket.id))
        .where(Ticket.organization_id.in_(ids), Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(Ticket.organization_id)
    ).all()) if ids else {}
    return render_template("success/home.html", page=page, open_counts=open_counts,
                           can_write=can(current_user, "success", write=True))


