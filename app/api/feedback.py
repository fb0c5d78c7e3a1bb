"""Product feedback over the API (staff only: customers get 403, like the pages)."""

from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import bp
from app.api.auth import api_user
from app.api.success_schemas import FeedbackListArgs, FeedbackPageSchema
from app.core.errors import Forbidden
from app.core.permissions import can
from app.extensions import db
from app.models.success import FeedbackItem, feedback_topics
from app.success.feedback import item_figures

_SORTS = {
    "-created_at": lambda item, f: (-item.created_at.timestamp(), -item.id),
    "created_at": lambda item, f: (item.created_at.timestamp(), item.id),
    "-updated_at": lambda item, f: (-item.updated_at.timestamp(), -item.id),
    "-mrr_affected": lambda item, f: (-f["mrr_affected"], -item.id),
    "-ticket_count": lambda item, f: (-f["ticket_count"], -item.id),
    "-votes": lambda item, f: (-f["votes"], -item.id),
}


@bp.route("/feedback")
class Feedback(MethodView):
    @bp.doc(summary="List product feedback items (staff)", description="Newest first unless `sort` says otherwise.")
    @bp.arguments(FeedbackListArgs, location="query")
    @bp.response(200, FeedbackPageSchema)
    def get(self, args):
        if not can(api_user(), "success"):
            raise Forbidden(_("Product feedback is for staff."))
        stmt = select(FeedbackItem)
        for key in ("status", "type"):
            if args.get(key):
                stmt = stmt.where(getattr(FeedbackItem, key) == args[key])
        if args.get("topic_id"):
            stmt = stmt.where(FeedbackItem.id.in_(select(feedback_topics.c.feedback_id)
                                                  .where(feedback_topics.c.topic_id == args["topic_id"])))
        items = db.session.scalars(stmt).all()
        # Feedback lists are short (product items, not tickets): figures for all, then one page.
        figures = item_figures([i.id for i in items])
        items.sort(key=lambda item: _SORTS[args["sort"]](item, figures[item.id]))
        page, per_page = args["page"], args["per_page"]
        chosen = items[(page - 1) * per_page:page * per_page]
        return {"items": [{
            "id": i.id, "title": i.title, "type": i.type, "status": i.status,
            "topic_ids": [t.id for t in i.topics], "ticket_count": figures[i.id]["ticket_count"],
            "organization_count": figures[i.id]["organization_count"],
            "mrr_affected": float(figures[i.id]["mrr_affected"]), "votes": figures[i.id]["votes"],
        } for i in chosen], "total": len(items), "page": page, "per_page": per_page}
