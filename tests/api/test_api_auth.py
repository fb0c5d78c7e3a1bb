"""Bearer tokens, CSRF exemption, token bookkeeping and the per-token rate limit."""

from datetime import timedelta

import pytest

from app.auth.services import revoke_api_token
from app.extensions import limiter
from app.models import ApiToken, Ticket
from app.models.base import utcnow


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer tdm_not-a-real-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic YWdlbnQ6cGFzc3dvcmQ="},
    {"Authorization": "tdm_token-without-scheme"},
])
def test_missing_or_bad_token_is_401(client, error_of, headers):
    error = error_of(client.get("/api/v1/tickets", headers=headers), 401)
    assert error["code"] == "unauthorized"


def test_401_names_the_bearer_scheme(client):
    response = client.get("/api/v1/tickets")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_stops_working_at_once(client, db, token_for, error_of):
    user, headers = token_for("agent")
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    record = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id)).one()
    revoke_api_token(record)
    db.session.commit()
    assert error_of(client.get("/api/v1/tickets", headers=headers), 401)["code"] == "unauthorized"


def test_deactivated_user_loses_access_at_once(client, db, token_for, error_of):
    user, headers = token_for("admin")
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    user.active = False
    db.session.commit()
    assert error_of(client.get("/api/v1/tickets", headers=headers), 401)["code"] == "unauthorized"


def test_token_writes_need_no_csrf_token(client, db, token_for, csrf_enabled):
    _, headers = token_for("agent")
    response = client.post("/api/v1/tickets", headers=headers, json={
        "subject": "Invoice missing", "body": "Where is my invoice?", "requester_email": "ana@acme.example"})
    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(db.select(db.func.count()).select_from(Ticket)) == 1


def test_pages_still_need_csrf(client, csrf_enabled):
    # The exemption is the API's alone: a page form without a CSRF token is refused.
    response = client.post("/login", data={"email": "a@example.test", "password": "x"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_session_cookie_alone_does_not_sign_in_to_the_api(client, make_user, login, error_of):
    login(make_user("agent"))
    assert error_of(client.get("/api/v1/tickets"), 401)["code"] == "unauthorized"


def test_last_used_at_is_recorded_at_most_once_a_minute(client, db, token_for):
    user, headers = token_for("agent")
    record = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert record.last_used_at is None

    client.get("/api/v1/tickets", headers=headers)
    db.session.expire_all()
    first = record.last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)

    client.get("/api/v1/tickets", headers=headers)
    db.session.expire_all()
    assert record.last_used_at == first  # within the minute: no second write

    record.last_used_at = first - timedelta(minutes=5)
    db.session.commit()
    client.get("/api/v1/tickets", headers=headers)
    db.session.expire_all()
    assert record.last_used_at > first - timedelta(seconds=1)


def test_failed_request_still_counts_as_token_use(client, db, token_for):
    user, headers = token_for("agent")
    client.post("/api/v1/tickets", headers=headers, json={"subject": "x"})  # 422
    record = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert record.last_used_at is not None


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/kb/search?q=refund"])
def test_public_endpoints_need_no_token(client, path):
    assert client.get(path).status_code == 200


def test_public_endpoint_refuses_a_bad_token(client, error_of):
    response = client.get("/api/v1/kb/search?q=refund", headers={"Authorization": "Bearer nope"})
    assert error_of(response, 401)["code"] == "unauthorized"


# --- rate limit ------------------------------------------------------------------------------

@pytest.fixture
def limited_client(app, database_url):
    """A second app on the same database with rate limits on and a tiny API limit."""
    from app import create_app

    was_enabled = limiter.enabled
    limited = create_app({
        "TANDEM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
        "SCHEDULER_IN_PROCESS": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_API": "3 per minute", "WTF_CSRF_ENABLED": False,
    })
    limiter.reset()
    yield limited.test_client()
    limiter.reset()
    # The limiter is one shared instance: hand the session app back its setting.
    limiter.enabled = was_enabled
    with limited.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_api_is_rate_limited_per_token(limited_client, token_for, error_of):
    _, first = token_for("agent")
    _, second = token_for("agent")
    for _ in range(3):
        assert limited_client.get("/api/v1/tickets", headers=first).status_code == 200
    response = limited_client.get("/api/v1/tickets", headers=first)
    error = error_of(response, 429)
    assert error["code"] == "rate_limited"
    assert "3 per minute" in error["message"]
    assert "Retry-After" in response.headers
    # Another token has its own allowance.
    assert limited_client.get("/api/v1/tickets", headers=second).status_code == 200


def test_anonymous_requests_are_limited_by_address(limited_client, error_of):
    for _ in range(3):
        assert limited_client.get("/api/v1/kb/search?q=x").status_code == 200
    assert error_of(limited_client.get("/api/v1/kb/search?q=x"), 429)["code"] == "rate_limited"


def test_two_first_tickets_for_one_new_requester_at_once_are_both_stored(client, db, token_for, monkeypatch):
    """The second one looked the address up before the first one's requester was committed."""
    from app.support import services

    _, headers = token_for("agent")
    ticket = {"subject": "Invoice missing", "body": "Where is my invoice?", "requester_email": "ana@acme.example"}
    assert client.post("/api/v1/tickets", headers=headers, json=ticket).status_code == 201
    real, calls = services.sender_facts, []

    def stale_lookup(connection, address):
        calls.append(address)
        blocked, user_id, org_id = real(connection, address)
        return (blocked, None if len(calls) == 1 else user_id, org_id)

    monkeypatch.setattr(services, "sender_facts", stale_lookup)
    response = client.post("/api/v1/tickets", headers=headers, json={**ticket, "subject": "Invoice still missing"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["requester_email"] == "ana@acme.example"
    assert db.session.scalar(db.select(db.func.count()).select_from(Ticket)) == 2
