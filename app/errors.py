"""Error responses: pages get a friendly page, `/api/` gets the contract's JSON error."""

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "bad_request",
    422: "validation_error",
    429: "rate_limited",
}


def is_api_request():
    return request.path.startswith("/api/")


def api_error(status, message, code=None):
    body = {"error": {"code": code or API_CODES.get(status, "error"), "message": message}}
    return jsonify(body), status


def _page_message(status):
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("We could not find that page."),
        405: _("That action is not allowed here."),
        409: _("Someone else changed this in the meantime."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a little and try again."),
        500: _("Something went wrong on our side. Please try again."),
    }.get(status, _("Something went wrong."))


def register(app):
    from app.core.errors import DomainError

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if is_api_request():
            return api_error(400, exc.description)
        return render_template("errors/error.html", status=400,
                               message=_("The form expired or was sent from elsewhere. Please try again.")), 400

    @app.errorhandler(DomainError)
    def _domain(exc):
        if is_api_request():
            return api_error(exc.status, exc.message, exc.code)
        return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def _http(exc):
        status = exc.code or 500
        if is_api_request():
            message = exc.description if isinstance(exc.description, str) else _page_message(status)
            return api_error(status, message)
        return render_template("errors/error.html", status=status, message=_page_message(status)), status

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        from app.extensions import db

        db.session.rollback()
        if is_api_request():
            return api_error(500, "Internal error.", "internal_error")
        return render_template("errors/error.html", status=500, message=_page_message(500)), 500
