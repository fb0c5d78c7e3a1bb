"""Bearer-token sign-in for the API. Sessions and cookies play no part, hence no CSRF."""

import hashlib
from datetime import timedelta

from flask import abort, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import or_, update

from app.auth.services import user_for_api_token
from app.extensions import db
from app.models import ApiToken
from app.models.base import utcnow

# last_used_at is for people ("used 3 minutes ago"), so one write a minute per token is plenty.
TOUCH_EVERY = timedelta(minutes=1)


def bearer_token():
    """The token of `Authorization: Bearer <token>`, or None."""
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def rate_limit_key():
    """One bucket per token (by its hash, never the token itself), else per address."""
    token = bearer_token()
    if token:
        return "api-token:" + hashlib.sha256(token.encode("utf-8")).hexdigest()
    return "api-addr:" + (get_remote_address() or "unknown")


def authenticate_request():
    """Before each API request: the token's user in `g.api_user` (None when public and absent)."""
    g.api_user = None
    token = bearer_token()
    if token is None:
        if "Authorization" in request.headers:
            abort(401, _("Use the header 'Authorization: Bearer <token>'."))
        return
    user = user_for_api_token(token)
    if user is None:
        abort(401, _("This API token is not valid, has been revoked, or its user is deactivated."))
    g.api_user = user
    _touch(token)


def _touch(token, now=None):
    now = now or utcnow()
    # One conditional UPDATE: concurrent requests never write twice within the minute.
    touched = db.session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == ApiToken.hash(token))
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_EVERY))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if touched:
        # Its own short transaction, before the request's work: a failed request still used the token.
        db.session.commit()


def api_user():
    """The signed-in user, or 401 for endpoints that need one."""
    user = g.get("api_user")
    if user is None:
        abort(401, _("This endpoint needs an API token: send 'Authorization: Bearer <token>'."))
    return user
