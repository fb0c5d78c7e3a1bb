"""Topics over the API (staff only: customers get 403, like the pages)."""

from collections import defaultdict

from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.api import bp
from app.api.auth import api_user
from app.api.success_schemas import TopicListArgs, TopicPageSchema, TopicSchema
from app.core.errors import Forbidden, NotFound
from app.core.permissions import can
from app.extensions import db
from app.models import Organization, Ticket
from app.models.success import Topic

MAX_ID = 2**31 - 1
_SORTS = {
    "-created_at": (Topic.created_at.desc(), Topic.id.desc()),
    "created_at": (Topic.created_at.asc(), Topic.id.asc()),
    "-size": (Topic.size.desc(), Topic.id.desc()),
    "size": (Topic.size.asc(), Topic.id.asc()),
    "-updated_at": (Topic.updated_at.desc(), Topic.id.desc()),
}


def _staff():
    user = api_user()
    if not can(user, "success"):
        raise Forbidden(_("Topics are for staff."))
    return user


def topic_rows(topics):
    """Contract dicts for topics, with their tickets and affected accounts in two queries."""
    ids = [t.id for t in topics]
    tickets, orgs = defaultdict(list), defaultdict(list)
    if ids:
        for ticket_id, topic_id in db.session.execute(
                select(Ticket.id, Ticket.topic_id).where(Ticket.topic_id.in_(ids)).order_by(Ticket.id)):
            tickets[topic_id].append(ticket_id)
        for topic_id, org_id, name, mrr in db.session.execute(
                select(Ticket.topic_id, Organization.id, Organization.name, Organization.mrr)
                .join(Organization, Organization.id == Ticket.organization_id)
                .where(Ticket.topic_id.in_(ids)).distinct()
                .order_by(Ticket.topic_id, Organization.mrr.desc(), Organization.name)):
            orgs[topic_id].append({"id": org_id, "name": name, "mrr": float(mrr or 0)})
    return [{"id": t.id, "label": t.label, "terms": list(t.terms or []), "size": len(tickets[t.id]),
             "trend": t.trend, "ticket_ids": tickets[t.id], "organizations": orgs[t.id]} for t in topics]


@bp.route("/topics")
class Topics(MethodView):
    @bp.doc(summary="List recurring topics (staff)", description="Live topics, newest first unless `sort` says otherwise.")
    @bp.arguments(TopicListArgs, location="query")
    @bp.response(200, TopicPageSchema)
    def get(self, args):
        _staff()
        stmt = select(Topic).where(Topic.status == args["status"], Topic.size > 0)
        if args.get("trend"):
            stmt = stmt.where(Topic.trend == args["trend"])
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        page, per_page = args["page"], args["per_page"]
        topics = db.session.scalars(stmt.order_by(*_SORTS[args["sort"]]).offset((page - 1) * per_page)
                                    .limit(per_page)).all()
        return {"items": topic_rows(topics), "total": total, "page": page, "per_page": per_page}


@bp.route("/topics/<int:topic_id>")
class TopicItem(MethodView):
    @bp.doc(summary="One topic with its tickets and affected accounts (staff)")
    @bp.response(200, TopicSchema)
    def get(self, topic_id):
        _staff()
        topic = db.session.get(Topic, topic_id) if topic_id <= MAX_ID else None
        if topic is None:
            raise NotFound(_("Topic not found."))
        return topic_rows([topic])[0]
