"""Accounts over the API (staff only; customers get 403)."""

from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.api import bp
from app.api.account_schemas import AccountListArgs, AccountPageSchema, AccountSchema, UsageResultSchema, UsageUploadSchema
from app.api.auth import api_user
from app.core.errors import Forbidden, NotFound
from app.core.permissions import can
from app.extensions import db
from app.models import Organization
from app.models.health import AccountHealth
from app.success.health import services, usage

MAX_ID = 2**31 - 1


class AccountView:
    """An organization with its `health` for the schema."""

    def __init__(self, org, health):
        self._org, self.health = org, health

    def __getattr__(self, name):
        return getattr(self._org, name)


def _staff(write=False):
    user = api_user()
    if not can(user, "success", write=write):
        raise Forbidden(_("Accounts are for staff.") if not write else _("Your role cannot change accounts."))
    return user


def _org(organization_id):
    org = db.session.get(Organization, organization_id) if organization_id <= MAX_ID else None
    if org is None:
        raise NotFound(_("No such account."))
    return org


@bp.route("/accounts")
class Accounts(MethodView):
    @bp.doc(summary="List accounts", description="Staff only. Newest first.")
    @bp.arguments(AccountListArgs, location="query")
    @bp.response(200, AccountPageSchema)
    def get(self, args):
        _staff()
        stmt = select(Organization)
        if args.get("stage"):
            stmt = stmt.where(Organization.stage == args["stage"])
        if args.get("band"):
            stmt = stmt.join(AccountHealth, AccountHealth.organization_id == Organization.id) \
                .where(AccountHealth.band == args["band"])
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        orgs = db.session.scalars(stmt.order_by(Organization.created_at.desc(), Organization.id.desc())
                                  .limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()
        health = services.health_by_org([o.id for o in orgs])
        items = [AccountView(o, services.health_json(health.get(o.id))) for o in orgs]
        return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@bp.route("/accounts/<int:organization_id>")
class AccountItem(MethodView):
    @bp.doc(summary="One account with its health")
    @bp.response(200, AccountSchema)
    def get(self, organization_id):
        _staff()
        org = _org(organization_id)
        return AccountView(org, services.current_health(org.id))


@bp.route("/accounts/<int:organization_id>/usage")
class AccountUsage(MethodView):
    @bp.doc(summary="Import product-usage figures",
            description="CSMs and admins. All or nothing; a figure for the same metric and date replaces the old one. "
                        "The account's health is recomputed at once.")
    @bp.arguments(UsageUploadSchema)
    @bp.response(201, UsageResultSchema)
    def post(self, args, organization_id):
        _staff(write=True)
        org = _org(organization_id)
        rows = usage.parse_json(org.id, args["figures"])
        n = usage.save_figures(rows)
        services.recompute_health([org.id])
        db.session.commit()
        return {"imported": n, "health": services.current_health(org.id)}, 201
