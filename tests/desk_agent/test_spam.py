"""Mark as spam: the ticket is hidden, the sender blocked, and only admins unblock."""

import pytest

from app.models import BlockedSender, Ticket
from app.support import spam
from app.support.services import create_ticket


def test_confirmation_page_then_spam_hides_the_ticket_and_blocks_the_sender(agent_client, ticket, db, listed):
    page = agent_client.get(f"/agent/tickets/{ticket.id}/spam")
    assert page.status_code == 200 and "ana@acme.example is blocked" in page.get_data(as_text=True)
    assert db.session.get(Ticket, ticket.id).is_spam is False  # asking is not doing

    response = agent_client.post(f"/agent/tickets/{ticket.id}/spam", data={"reason": "Crypto offers"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).is_spam
    blocked = db.session.scalars(db.select(BlockedSender)).one()
    assert (blocked.email, blocked.reason) == ("ana@acme.example", "Crypto offers")
    assert ticket.id not in listed(agent_client.get("/agent/?sort=newest"))
    assert "marked as spam" in agent_client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)


def test_a_blocked_sender_cannot_submit(agent, ticket, db):
    spam.mark_spam(ticket, agent)
    db.session.commit()
    assert spam.is_blocked(" ANA@acme.example ")
    with pytest.raises(spam.BlockedSenderError):
        create_ticket(None, body="Buy now", requester_email="Ana@Acme.example")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 1


def test_the_public_form_refuses_a_blocked_sender(client, agent, ticket, db):
    spam.mark_spam(ticket, agent)
    db.session.commit()
    response = client.post("/tickets/new", data={"name": "Ana", "email": "ana@acme.example", "subject": "Hi",
                                                 "body": "Buy now"})
    # How the form answers is the customer side's choice (it refuses quietly); nothing is stored.
    assert response.status_code < 500
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 1


def test_staff_requesters_are_never_blocked(agent, make_ticket, make_user, db):
    colleague = make_user("agent")
    internal = make_ticket(colleague)
    assert spam.mark_spam(internal, agent) is None
    assert db.session.scalar(db.select(db.func.count(BlockedSender.id))) == 0


def test_not_spam_brings_the_ticket_back(agent_client, agent, ticket, db, listed):
    spam.mark_spam(ticket, agent)
    db.session.commit()
    assert agent_client.post(f"/agent/tickets/{ticket.id}/not-spam").status_code == 302
    assert ticket.id in listed(agent_client.get("/agent/"))


def test_admin_unblocks_and_the_sender_may_write_again(client_for, make_user, agent, ticket, db, agent_client):
    spam.mark_spam(ticket, agent)
    db.session.commit()
    blocked = db.session.scalars(db.select(BlockedSender)).one()
    assert agent_client.post(f"/admin/blocked-senders/{blocked.id}/delete").status_code == 403
    admin = client_for(make_user("admin"))
    assert "ana@acme.example" in admin.get("/admin/blocked-senders").get_data(as_text=True)
    assert admin.post(f"/admin/blocked-senders/{blocked.id}/delete").status_code == 302
    assert not spam.is_blocked("ana@acme.example")
    create_ticket(None, body="Real question", requester_email="ana@acme.example")
    db.session.commit()
