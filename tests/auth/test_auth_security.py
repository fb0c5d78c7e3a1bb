"""CSRF, throttling, sessions that end at once, and the security headers."""

import time

import pytest

from app.models import OutboundMail, Ticket, User

PASSWORD = "correct-horse-battery"


# --- CSRF ------------------------------------------------------------------------------------

def test_public_form_without_csrf_token_is_refused_and_stores_nothing(client, db, csrf_enabled, csrf_token):
    data = {"name": "Ana", "email": "ana@acme.example", "subject": "Hi", "body": "Export is empty"}
    response = client.post("/tickets/new", data=data)
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0

    token = csrf_token(client.get("/tickets/new"))
    response = client.post("/tickets/new", data={**data, "csrf_token": token})
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 1


def test_admin_form_with_a_forged_token_is_refused(client, db, make_user, csrf_enabled, csrf_token):
    admin = make_user("admin")
    token = csrf_token(client.get("/login"))
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    response = client.post("/admin/users/new", data={"email": "new@tandem.example", "role": "agent",
                                                     "csrf_token": "forged"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(User).where(User.email == "new@tandem.example")) is None


def test_logout_without_csrf_token_keeps_the_session(client, make_user, csrf_enabled, csrf_token):
    agent = make_user("agent")
    token = csrf_token(client.get("/login"))
    client.post("/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/logout").status_code == 400
    assert client.get("/agent/").status_code == 200


# --- login throttling ------------------------------------------------------------------------

def test_ten_failures_lock_the_account_until_the_window_passes(limited_app, db, make_user, monkeypatch):
    agent = make_user("agent", email="target@tandem.example")
    other = make_user("agent", email="other@tandem.example")
    client = limited_app.test_client()
    for _ in range(10):
        response = client.post("/login", data={"email": agent.email, "password": "guess"})
        assert response.status_code == 401

    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts for this account" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers

    # Other accounts are not affected.
    assert client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 15 * 60 + 1)
    response = limited_app.test_client().post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 302


def test_successful_logins_do_not_count(limited_app, make_user):
    agent = make_user("agent")
    for _ in range(12):
        client = limited_app.test_client()
        assert client.post("/login", data={"email": agent.email, "password": PASSWORD}).status_code == 302


def test_public_form_is_limited_per_address(limited_app, db):
    client = limited_app.test_client()
    data = {"email": "ana@acme.example", "subject": "Hi", "body": "Export is empty"}
    for _ in range(10):
        assert client.post("/tickets/new", data=data).status_code == 200
    response = client.post("/tickets/new", data=data)
    assert response.status_code == 429
    assert "wait a minute" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 10


# --- sessions end at once --------------------------------------------------------------------

def test_deactivated_users_session_stops_working_at_once(client, db, make_user, login):
    agent = make_user("agent")
    login(agent)
    assert client.get("/agent/").status_code == 200

    from app.admin.services import deactivate_user

    deactivate_user(None, agent)
    db.session.commit()
    response = client.get("/agent/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_password_change_ends_other_sessions(app, client, db, make_user, login):
    agent = make_user("agent")
    login(agent)
    agent.set_password("another-good-password")
    db.session.commit()
    assert client.get("/agent/").status_code == 302


# --- headers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/login", "/tickets/new", "/kb/", "/no-such-page", "/agent/"])
def test_pages_carry_nosniff_and_frame_ancestors(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.mimetype == "text/html":
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/healthz", "/static/tandem.css"])
def test_other_responses_carry_nosniff(client, path):
    with client.get(path) as response:
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_mail_for_unknown_address(client, db):
    response = client.post("/password/forgot", data={"email": "nobody@tandem.example"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(OutboundMail.id))) == 0


# --- the public form against abuse and bad input ----------------------------------------------

def _ticket_count(db):
    return db.session.scalar(db.select(db.func.count(Ticket.id)))


def test_honeypot_filled_by_a_bot_stores_nothing(client, db):
    response = client.post("/tickets/new", data={"email": "bot@spam.example", "body": "Buy now",
                                                 "website": "http://spam.example"})
    assert response.status_code == 400
    assert _ticket_count(db) == 0


def test_an_upload_that_is_not_what_it_claims_is_refused(client, db):
    from io import BytesIO

    response = client.post("/tickets/new", content_type="multipart/form-data", data={
        "email": "ana@acme.example", "body": "See the screenshot",
        "attachments": (BytesIO(b"png"), "shot.png")})
    assert response.status_code == 422
    assert "does not look like a .png file" in response.get_data(as_text=True)
    assert _ticket_count(db) == 0


@pytest.mark.parametrize("data, status, message", [
    ({"email": "not-an-address", "body": "Help"}, 422, "not valid"),
    ({"email": "ana@acme.example", "body": ""}, 400, "Describe your question"),
    ({"email": "", "body": "Help"}, 400, "Enter your e-mail address"),
    ({"email": "ana@acme.example", "body": "Help", "subject": "x" * 251}, 400, "Field cannot be longer"),
])
def test_bad_request_form_input_is_explained(client, db, data, status, message):
    response = client.post("/tickets/new", data=data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _ticket_count(db) == 0
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_request_page_shows_the_number_and_queues_the_confirmation(client, db, run_jobs):
    response = client.post("/tickets/new", data={"name": "Ana", "email": "ana@acme.example",
                                                 "subject": "Export is empty", "body": "No rows"})
    assert response.status_code == 200
    ticket = db.session.scalars(db.select(Ticket)).one()
    assert f"#{ticket.id}" in response.get_data(as_text=True)
    assert ticket.channel == "web" and ticket.requester.password_hash is None
    run_jobs()
    assert db.session.scalars(db.select(OutboundMail.kind)).all() == ["ticket_received"]
