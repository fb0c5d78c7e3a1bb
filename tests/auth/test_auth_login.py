"""Signing in and out, where people land, and the on-site-only `next=`."""

import pytest

from app.models import User


@pytest.mark.parametrize("role, home", [
    ("customer", "/portal/"), ("agent", "/agent/"), ("csm", "/success/"), ("admin", "/admin/"),
])
def test_login_takes_each_role_home(client, make_user, role, home):
    user = make_user(role)
    response = client.post("/login", data={"email": user.email.upper(), "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_wrong_password_is_refused_without_a_session(client, make_user):
    user = make_user("agent")
    response = client.post("/login", data={"email": user.email, "password": "wrong password"})
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/agent/").status_code == 302


def test_unknown_address_gets_the_same_answer(client):
    response = client.post("/login", data={"email": "nobody@tandem.example", "password": "whatever"})
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)


def test_empty_form_is_a_bad_request_with_messages(client):
    response = client.post("/login", data={})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter your e-mail address." in page and "Enter your password." in page


def test_customer_without_a_password_cannot_sign_in(client, db):
    from app.support.services import create_ticket

    create_ticket(None, body="Printer on fire", requester_email="first@acme.example")
    db.session.commit()
    customer = db.session.scalar(db.select(User).where(User.email == "first@acme.example"))
    assert customer.password_hash is None
    response = client.post("/login", data={"email": "first@acme.example", "password": ""})
    assert response.status_code == 400
    response = client.post("/login", data={"email": "first@acme.example", "password": "anything-at-all"})
    assert response.status_code == 401


def test_deactivated_user_cannot_sign_in(client, make_user):
    user = make_user("agent", active=False)
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    assert response.status_code == 401


@pytest.mark.parametrize("target", [
    "//evil.example",
    "//evil.example/agent/",
    "https://evil.example",
    "https://evil.example/agent/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
])
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user("agent")
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/agent/"


def test_next_on_site_is_followed(client, make_user):
    user = make_user("agent")
    response = client.post("/login", query_string={"next": "/agent/?view=pending"},
                           data={"email": user.email, "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/agent/?view=pending"


def test_protected_page_sends_anonymous_to_login_and_back(client, make_user):
    response = client.get("/success/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    user = make_user("csm")
    response = client.post(response.headers["Location"],
                           data={"email": user.email, "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/success/"


def test_logout_needs_a_post(client, make_user, login):
    login(make_user("agent"))
    page = client.get("/logout")
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    assert client.get("/agent/").status_code == 200  # still signed in after the GET

    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/agent/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("agent")
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_passwords_are_stored_with_scrypt(make_user):
    user = make_user("agent")
    assert user.password_hash.startswith("scrypt:")
    assert "correct-horse-battery" not in user.password_hash
