from app.models import Ticket


def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_ticket_created_with_event_and_received_mail(db, run_jobs):
    from app.models import OutboundMail
    from app.support.services import create_ticket

    ticket = create_ticket(None, body="Printer is on fire", requester_email="Ana@Acme.Example")
    db.session.commit()
    ticket_id = ticket.id
    run_jobs()
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.requester.email == "ana@acme.example"
    assert ticket.requester.password_hash is None
    assert [e.kind for e in ticket.events] == ["created"]
    mail = db.session.scalars(db.select(OutboundMail)).one()
    assert mail.to_addr == "ana@acme.example" and mail.status == "outbox"
    assert f"#{ticket_id}" in mail.subject


def test_login_and_logout(client, make_user, login):
    user = make_user("agent")
    login(user)
    assert client.get("/agent/").status_code == 200
    client.post("/logout")
    assert client.get("/agent/").status_code == 302
