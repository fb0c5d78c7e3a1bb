from datetime import timedelta

import pytest

from app.core.errors import Conflict, DomainError
from app.models import Message, Ticket, TicketEvent, User
from app.support import services


def test_create_ticket_makes_customer_without_password_and_event(db, now):
    ticket = services.create_ticket(None, body="Login fails", requester_email="New.Person@Example.COM",
                                    requester_name="New Person", priority="high", language="zh_hant", now=now)
    db.session.commit()
    assert ticket.status == "new" and ticket.priority_name == "high" and ticket.language == "zh-Hant"
    assert ticket.subject == "Login fails"
    user = ticket.requester
    assert (user.email, user.role, user.password_hash) == ("new.person@example.com", "customer", None)
    assert [(e.kind, e.new_value) for e in ticket.events] == [("created", "new")]
    assert ticket.messages[0].public and ticket.messages[0].author_id == user.id


def test_organization_found_from_email_domain(db, make_org):
    from app.models import OrganizationDomain

    org = make_org("Acme")
    db.session.add(OrganizationDomain(organization_id=org.id, domain="acme.example"))
    db.session.commit()
    ticket = services.create_ticket(None, body="Hi", requester_email="ana@acme.example")
    db.session.commit()
    assert ticket.organization_id == org.id and ticket.requester.organization_id == org.id


@pytest.mark.parametrize("kwargs,field", [
    ({"body": "   "}, "body"),
    ({"body": "x", "requester_email": "not-an-email"}, "email"),
    ({"body": "x", "priority": "critical"}, "priority"),
    ({"body": "x", "language": "english!"}, "language"),
    ({"body": "x", "subject": "s" * 251}, "subject"),
    ({"body": "x", "organization": "Nobody Inc"}, "organization"),
])
def test_bad_input_writes_nothing(db, kwargs, field):
    with pytest.raises(DomainError) as info:
        services.create_ticket(None, **kwargs)
    db.session.rollback()
    assert info.value.field == field
    assert db.session.query(Ticket).count() == 0 and db.session.query(User).count() == 0


def test_customer_reply_reopens_solved_ticket(db, make_user, make_ticket, now):
    customer, agent = make_user("customer"), make_user("agent")
    ticket = make_ticket(customer)
    services.add_message(ticket, agent, "Fixed it", now=now)
    services.change_status(ticket, agent, "solved", now=now)
    services.add_message(ticket, customer, "Still broken", now=now + timedelta(minutes=5))
    db.session.commit()
    assert ticket.status == "open" and ticket.reopen_count == 1 and ticket.solved_at is None
    statuses = [(e.old_value, e.new_value) for e in ticket.events if e.kind == "status"]
    assert statuses == [("new", "open"), ("open", "solved"), ("solved", "open")]


def test_internal_note_is_staff_only_and_closed_is_final(db, make_user, make_ticket):
    customer, agent = make_user("customer"), make_user("agent")
    ticket = make_ticket(customer)
    with pytest.raises(DomainError):
        services.add_message(ticket, customer, "psst", public=False)
    note = services.add_message(ticket, agent, "VIP, be nice", public=False)
    assert note.public is False and ticket.status == "new"  # a note is not a reply
    services.change_status(ticket, agent, "solved")
    services.change_status(ticket, agent, "closed")
    with pytest.raises(DomainError):
        services.change_status(ticket, agent, "open")
    with pytest.raises(DomainError):
        services.add_message(ticket, customer, "hello again")


def test_update_ticket_records_every_change(db, make_user, make_ticket, make_group):
    agent = make_user("agent", email="agent@example.com")
    group = make_group("Billing", members=[agent])
    ticket = make_ticket(make_user("customer"))
    changed = services.update_ticket(ticket, agent, {
        "priority": "urgent", "assignee_email": "agent@example.com", "group": "billing",
        "tags": ["Export", "export", " VIP "], "status": "pending",
    }, expected_version=ticket.version)
    db.session.commit()
    assert changed
    assert (ticket.priority_name, ticket.assignee_id, ticket.group_id, ticket.tag_names, ticket.status) == (
        "urgent", agent.id, group.id, ["export", "vip"], "pending")
    kinds = {e.kind for e in db.session.query(TicketEvent).filter_by(ticket_id=ticket.id)}
    assert {"priority", "assignee", "group", "tags", "status"} <= kinds


def test_stale_version_is_a_conflict(db, make_user, make_ticket):
    agent = make_user("agent")
    ticket = make_ticket(make_user("customer"))
    seen = ticket.version
    services.set_priority(ticket, agent, "high")
    db.session.commit()
    with pytest.raises(Conflict):
        services.update_ticket(ticket, agent, {"priority": "low"}, expected_version=seen)


def test_assigning_a_customer_is_refused(db, make_user, make_ticket):
    customer = make_user("customer")
    ticket = make_ticket(customer)
    with pytest.raises(DomainError):
        services.assign_ticket(ticket, make_user("agent"), customer)


def test_messages_keep_their_order(db, make_user, make_ticket, now):
    customer, agent = make_user("customer"), make_user("agent")
    ticket = make_ticket(customer)
    for i in range(3):
        services.add_message(ticket, agent, f"reply {i}", now=now + timedelta(seconds=i))
    db.session.commit()
    assert [m.body for m in db.session.query(Message).filter_by(ticket_id=ticket.id).order_by(Message.id)][1:] == [
        "reply 0", "reply 1", "reply 2"]
