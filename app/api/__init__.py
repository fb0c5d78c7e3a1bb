"""The JSON API (/api/v1/): the same services as the pages, behind bearer tokens.

flask-smorest validates requests with the schemas in `schemas.py` and builds the OpenAPI document
(/api/v1/openapi.json) from those same schemas.
"""

from flask import abort, current_app, g, request
from flask_babel import gettext as _
from flask_smorest import Api, Blueprint

from app.api.auth import authenticate_request, rate_limit_key
from app.api.errors import ApiParser, register_error_handlers
from app.api.schemas import ErrorSchema
from app.extensions import csrf, limiter


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()


class TandemApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """smorest would answer every HTTP error of the app in its own JSON; pages keep their HTML
        error pages, and the API blueprint answers in the contract's format (app.api.errors)."""


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="Tickets and the knowledge base.")
register_error_handlers(bp)
limiter.limit(
    lambda: current_app.config["RATELIMIT_API"],
    key_func=rate_limit_key,
    error_message=lambda: _("Too many API requests (limit: %(limit)s). Please wait and try again.",
                            limit=current_app.config["RATELIMIT_API"]),
)(bp)


@bp.before_request
def _authenticate():
    authenticate_request()
    if g.api_user is None and not _is_public(request.endpoint):
        abort(401, _("This endpoint needs an API token: send 'Authorization: Bearer <token>'."))


def _is_public(endpoint):
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(getattr(view, "view_class", view), "public", False))


def register_api(app):
    from app.api import accounts, feedback, kb, tickets, topics  # noqa: F401  register the routes on `bp`

    api = TandemApi(spec_kwargs={
        "info": {"description": "Tandem's helpdesk API. Send `Authorization: Bearer <token>` "
                                "(`flask users token EMAIL`). Errors: `{\"error\": {\"code\", \"message\"}}`."},
        "security": [{"bearerAuth": []}],
    })
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(bp)
    # The API ignores session cookies and signs in by token only: a cross-site form has nothing to ride on.
    csrf.exempt(bp)
    app.extensions["tandem_api"] = api
