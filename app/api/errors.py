"""The API's error answers: `{"error": {"code", "message"}}` with the contract's codes.

These handlers belong to the API blueprint only, so pages keep their HTML error pages
(app/errors.py). Requests under /api/ that match no API route (unknown paths, wrong methods)
never reach the blueprint; app/errors.py answers those in the same JSON shape.
"""

import marshmallow as ma
from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import HTTPException

from app.core.errors import DomainError
from app.errors import API_CODES
from app.extensions import db


# Locations whose values arrive as text: a value of the wrong shape there is a malformed request.
_TEXT_LOCATIONS = ("query", "querystring", "view_args", "path")


def error_response(status, message, code=None, headers=None):
    response = jsonify({"error": {"code": code or API_CODES.get(status, "error"), "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages, prefix=""):
    """{"tags": {0: ["Too long."]}} → ["tags.0: Too long."]; schema-wide errors keep the prefix."""
    if isinstance(messages, str):
        return [f"{prefix}: {messages}" if prefix else messages]
    if isinstance(messages, (list, tuple)):
        return [line for item in messages for line in flatten_messages(item, prefix)]
    lines = []
    for key, value in messages.items():
        name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
        lines.extend(flatten_messages(value, name))
    return lines


class ApiParser(FlaskParser):
    """webargs parser that answers 400 for malformed input and 422 for invalid values."""

    def _raw_load_json(self, req):
        if req.get_data(cache=True) and not webargs_core.is_json(req.mimetype):
            abort(400, messages={"json": [_("Send the body as JSON with Content-Type: application/json.")]})
        return super()._raw_load_json(req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, exc=error, messages={"json": [_("The body is not valid JSON (%(reason)s).", reason=str(error))]})

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        status = error_status_code or self.DEFAULT_VALIDATION_STATUS
        if status == 422 and _malformed(error.messages, req, schema):
            status = 400
        abort(status, exc=error, messages=error.messages, headers=error_headers)


def _malformed(messages, req, schema):
    """True when a text parameter failed on its shape (page=abc), not on a rule (page=0)."""
    for location, fields_messages in messages.items():
        if location not in _TEXT_LOCATIONS or not isinstance(fields_messages, dict):
            continue
        source = req.args if location in ("query", "querystring") else req.view_args or {}
        for name in fields_messages:
            field = schema.fields.get(name)
            if field is None or name not in source:
                continue
            try:
                field._deserialize(source[name], name, source)
            except ma.ValidationError:
                return True
    return False


def _http_message(exc):
    data = getattr(exc, "data", None) or {}
    if data.get("messages"):
        # webargs files messages under their location ({"json": {...}}); people need the field.
        by_location = data["messages"].values() if isinstance(data["messages"], dict) else [data["messages"]]
        lines = [line for messages in by_location for line in flatten_messages(messages)]
        return "; ".join(line.rstrip(".") for line in lines) + "."
    if data.get("message"):
        return str(data["message"])
    if isinstance(exc.description, str) and exc.description:
        return exc.description
    return exc.name


def register_error_handlers(bp):
    """Blueprint-level: they win over the app's page handlers for every API route."""

    @bp.errorhandler(HTTPException)
    def _http(exc):
        db.session.rollback()
        headers = dict((getattr(exc, "data", None) or {}).get("headers") or {})
        if exc.code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="tandem"')
        return error_response(exc.code or 500, _http_message(exc), headers=headers)

    @bp.errorhandler(DomainError)
    def _domain(exc):
        db.session.rollback()
        return error_response(exc.status, exc.message, exc.code)

    @bp.errorhandler(StaleDataError)
    def _stale(exc):
        # The version column moved between our read and our write: another change won the race.
        db.session.rollback()
        return error_response(
            409, _("Someone else changed this ticket in the meantime. Fetch it again and retry."), "conflict"
        )
