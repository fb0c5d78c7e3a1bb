"""API test helpers: a user with a token in one call, and a row counter for "nothing half-written"."""

import pytest
from sqlalchemy import func, select

from app.models import Message, Tag, Ticket, TicketEvent, User


@pytest.fixture
def token_for(make_user, api_token):
    """token_for("agent") → (user, headers); pass a user to reuse one."""

    def make(role_or_user="agent", **kw):
        user = make_user(role_or_user, **kw) if isinstance(role_or_user, str) else role_or_user
        return user, api_token(user)

    return make


@pytest.fixture
def row_counts(db):
    def counts():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Ticket, Message, TicketEvent, Tag, User)}

    return counts


@pytest.fixture
def error_of():
    """error_of(response, 400) → the contract's error object, after checking status and shape."""

    def check(response, status):
        assert response.status_code == status, response.get_data(as_text=True)[:500]
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        assert body["error"]["message"]
        return body["error"]

    return check
