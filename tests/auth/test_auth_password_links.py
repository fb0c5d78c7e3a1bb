"""Password reset and set-password links: signed, expiring, single-use."""

import re
import time

from app.models import OutboundMail, User

NEW_PASSWORD = "a-brand-new-password"


def _link_path(mail):
    match = re.search(r"http://tandem\.test(/password/set/\S+)", mail.body_text)
    assert match, mail.body_text
    return match.group(1)


def _request_reset(client, db, run_jobs, email):
    response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 302
    run_jobs()
    return db.session.scalars(db.select(OutboundMail).where(
        OutboundMail.to_addr == email.lower(), OutboundMail.kind == "password_reset")).one()


def test_reset_link_sets_a_password_and_works_once(client, db, make_user, run_jobs):
    user = make_user("customer", email="ana@acme.example")
    mail = _request_reset(client, db, run_jobs, "Ana@Acme.example")
    assert mail.status == "outbox"
    path = _link_path(mail)

    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200  # signed in by the link

    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    client.post("/logout")

    # The same link again: refused, and the password stays.
    again = client.post(path, data={"password": "someone-else-123", "confirm": "someone-else-123"})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302


def test_expired_link_is_refused(client, db, make_user, monkeypatch, app):
    from app.auth.services import password_token

    user = make_user("agent")
    real_time = time.time
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: real_time() - app.config["PASSWORD_TOKEN_MAX_AGE"] - 60)
        token = password_token(user)
    response = client.post(f"/password/set/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 401


def test_tampered_link_is_refused(client, make_user):
    from app.auth.services import password_token

    token = password_token(make_user("agent"))
    # Change a character whose every bit is part of the signature (not the last, padded one).
    swapped = "A" if token[-5] != "A" else "B"
    response = client.get(f"/password/set/{token[:-5]}{swapped}{token[-4:]}")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_link_stops_working_once_the_account_is_deactivated(client, db, make_user):
    from app.admin.services import deactivate_user
    from app.auth.services import password_token

    user = make_user("agent")
    token = password_token(user)
    deactivate_user(None, user)
    db.session.commit()
    assert client.get(f"/password/set/{token}").status_code == 400


def test_short_or_mismatched_passwords_are_refused(client, db, make_user):
    from app.auth.services import password_token

    user = make_user("agent")
    path = f"/password/set/{password_token(user)}"
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert "at least 8 characters" in short.get_data(as_text=True)
    differ = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert differ.status_code == 400
    assert "The passwords differ." in differ.get_data(as_text=True)
    # Nothing changed: the link still works.
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_customer_from_a_first_ticket_sets_a_password_by_link(client, db, run_jobs):
    from app.support.services import create_ticket

    create_ticket(None, body="Invoice missing", requester_email="new@acme.example")
    db.session.commit()
    customer = db.session.scalar(db.select(User).where(User.email == "new@acme.example"))
    assert customer.password_hash is None

    mail = _request_reset(client, db, run_jobs, "new@acme.example")
    response = client.post(_link_path(mail), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200
    assert "Invoice missing" in client.get("/portal/").get_data(as_text=True)
