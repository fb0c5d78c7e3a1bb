"""The agent ticket page: conversation, replies with attachments, field changes and stale saves."""

import io
import re

import pytest

from app.models import Attachment, Message, Ticket
from app.support.services import add_message

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def fields(ticket, **changes):
    data = {"version": str(ticket.version), "seen_event": str(ticket.events[-1].id), "status": ticket.status,
            "priority": ticket.priority_name, "assignee": str(ticket.assignee_id or ""),
            "group": str(ticket.group_id or ""), "tags": ", ".join(ticket.tag_names)}
    data.update(changes)
    return data


def test_conversation_marks_replies_and_internal_notes_differently(agent_client, agent, ticket, db):
    add_message(ticket, agent, "We are on it.", public=True)
    add_message(ticket, agent, "Ledger shows a duplicate.", public=False)
    db.session.commit()
    html = agent_client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert re.search(r'class="message note"[^>]*aria-label="Internal note"', html)
    assert re.search(r'class="message staff-reply"[^>]*aria-label="Public reply"', html)
    assert 'aria-label="Message from the customer"' in html


def test_reply_with_an_attachment_and_an_internal_note(agent_client, ticket, db):
    response = agent_client.post(f"/agent/tickets/{ticket.id}/messages", data={
        "body": "Here is the fixed export.", "attachments": [(io.BytesIO(PNG), "export.png")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    response = agent_client.post(f"/agent/tickets/{ticket.id}/messages", data={"body": "Checked", "internal": "y"})
    assert response.status_code == 302
    reply, note = db.session.scalars(db.select(Message).where(Message.ticket_id == ticket.id)
                                     .order_by(Message.id)).all()[1:]
    assert reply.public and not note.public
    [attachment] = reply.attachments
    html = agent_client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert f'href="/attachments/{attachment.id}"' in html and "export.png" in html
    with agent_client.get(f"/attachments/{attachment.id}") as download:
        assert download.headers["Content-Disposition"].startswith("attachment") and download.data == PNG


def test_a_disallowed_upload_stores_nothing(agent_client, ticket, db):
    response = agent_client.post(f"/agent/tickets/{ticket.id}/messages", data={
        "body": "See attached", "attachments": [(io.BytesIO(b"MZ\x90\x00"), "tool.exe")],
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "tool.exe" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0


def test_an_empty_reply_is_refused(agent_client, ticket, db):
    response = agent_client.post(f"/agent/tickets/{ticket.id}/messages", data={"body": "  "})
    assert response.status_code == 400
    assert "Write a message first." in response.get_data(as_text=True)


def test_only_allowed_status_transitions_are_offered(agent_client, ticket, db):
    ticket.status = "solved"
    db.session.commit()
    html = agent_client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="status".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\w+)"', select) == ["open", "solved", "closed"]


def test_saving_fields_changes_them_and_writes_readable_history(agent_client, agent, ticket, make_group, db):
    billing = make_group("Billing")
    response = agent_client.post(f"/agent/tickets/{ticket.id}/fields", data=fields(
        ticket, status="pending", priority="urgent", assignee=str(agent.id), group=str(billing.id),
        tags="Refund, vip"))
    assert response.status_code == 302
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.priority_name, ticket.assignee_id, ticket.group_id, ticket.tag_names) == (
        "pending", "urgent", agent.id, billing.id, ["refund", "vip"])
    html = agent_client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Ivan Petrov changed Status: Open → Pending" in " ".join(html.split()) or \
        "Ivan Petrov changed Status: New → Pending" in " ".join(html.split())
    assert "changed Priority: Normal → Urgent" in " ".join(html.split())


def test_an_invalid_transition_is_a_clear_error_and_changes_nothing(agent_client, ticket, db):
    ticket.status = "closed"
    db.session.commit()
    response = agent_client.post(f"/agent/tickets/{ticket.id}/fields", data=fields(ticket, status="open",
                                                                                      priority="urgent"))
    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).priority_name == "normal"


def test_second_agent_is_warned_instead_of_overwriting(client_for, agent, make_user, ticket, db):
    olga = make_user("agent", email="olga@tandem.example", name="Olga")
    mine, theirs = client_for(agent), client_for(olga)
    # Both open the page; their forms carry the same version.
    page = mine.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    seen = re.search(r'name="seen_event" type="hidden" value="(\d+)"', page).group(1)
    stale = fields(ticket, version=version, seen_event=seen)
    assert theirs.post(f"/agent/tickets/{ticket.id}/fields", data=dict(stale, priority="urgent")).status_code == 302

    response = mine.post(f"/agent/tickets/{ticket.id}/fields", data=dict(stale, priority="low", status="pending"))
    assert response.status_code == 409
    html = " ".join(response.get_data(as_text=True).split())
    assert "Someone else changed this ticket since you opened it" in html
    assert "Olga changed Priority: Normal → Urgent" in html
    assert "Your unsaved changes" in html
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.priority_name, ticket.status) == ("urgent", "new")


def test_sidebar_shows_requester_organization_and_other_tickets(agent_client, ticket, make_ticket, make_user,
                                                                customer, db):
    csm = make_user("csm", name="Carla Success")
    org = customer.organization
    org.owner, org.stage = csm, "renewal"
    older = make_ticket(customer, subject="Invoice missing")
    db.session.commit()
    html = " ".join(agent_client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True).split())
    for text in ("Ana Lima", "ana@acme.example", "Acme", "enterprise", "1,250.00", "Carla Success", "Renewal",
                 f"#{older.id} Invoice missing"):
        assert text in html


def test_csm_reads_but_cannot_change(client_for, make_user, ticket, db):
    csm = client_for(make_user("csm"))
    html = csm.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Export is empty" in html
    assert 'method="post"' not in html.split("</header>", 1)[1]  # only the sign-out form
    for path, data in [(f"/agent/tickets/{ticket.id}/messages", {"body": "hi"}),
                       (f"/agent/tickets/{ticket.id}/fields", fields(ticket, priority="urgent")),
                       (f"/agent/tickets/{ticket.id}/macro", {"macro_id": "1", "version": "1"}),
                       (f"/agent/tickets/{ticket.id}/spam", {}), (f"/agent/tickets/{ticket.id}/not-spam", {}),
                       ("/agent/bulk", {"ticket_ids": ticket.id, "action": "status", "status": "open"}),
                       ("/agent/views", {"name": "Mine"})]:
        assert csm.post(path, data=data).status_code == 403, path
    queue = csm.get("/agent/").get_data(as_text=True)
    assert 'id="bulk"' not in queue and "Save as a view" not in queue


@pytest.mark.parametrize("role", ["customer"])
def test_customers_get_403(client_for, make_user, ticket, role):
    client = client_for(make_user(role))
    assert client.get(f"/agent/tickets/{ticket.id}").status_code == 403
    assert client.get("/agent/").status_code == 403


def test_missing_csrf_token_stores_nothing(agent_client, ticket, csrf_enabled, db):
    response = agent_client.post(f"/agent/tickets/{ticket.id}/messages", data={"body": "No token"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 1
