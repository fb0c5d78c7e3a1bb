"""The customer portal: who sees which tickets, the public conversation, replies and "this is solved"."""

import io

import pytest
from sqlalchemy import select

from app.models import Attachment, Message, Ticket, TicketEvent
from app.support.attachments import Upload, store_attachments
from app.support.services import add_message, change_status


@pytest.fixture
def people(db, make_org, make_user):
    acme = make_org("Acme")
    return {
        "ana": make_user("customer", email="ana@acme.example", name="Ana Lima", organization=acme),
        "bo": make_user("customer", email="bo@acme.example", name="Bo Colleague", organization=acme),
        "eve": make_user("customer", email="eve@elsewhere.example", name="Eve Stranger"),
        "agent": make_user("agent", email="ivan@tandem.example", name="Ivan Agent"),
        "acme": acme,
    }


def test_the_list_shows_own_tickets_with_status_and_last_update(client, db, people, make_ticket, login):
    mine = make_ticket(people["ana"], subject="Export is empty")
    make_ticket(people["eve"], subject="Someone else invoice")
    login(people["ana"])
    page = client.get("/portal/").get_data(as_text=True)
    assert "Export is empty" in page and "Someone else" not in page
    assert f'href="/portal/tickets/{mine.id}"' in page and "New" in page and "<time" in page


def test_organization_tickets_are_listed_only_when_the_organization_shares_them(
        client, db, people, make_ticket, login):
    theirs = make_ticket(people["bo"], subject="Colleague question")
    login(people["ana"])
    assert "Colleague question" not in client.get("/portal/").get_data(as_text=True)
    assert client.get(f"/portal/tickets/{theirs.id}").status_code == 404
    people["acme"].shared_tickets = True
    db.session.commit()
    assert "Colleague question" in client.get("/portal/").get_data(as_text=True)
    assert client.get(f"/portal/tickets/{theirs.id}").status_code == 200


@pytest.mark.parametrize("method, path", [
    ("GET", "/portal/tickets/{id}"),
    ("POST", "/portal/tickets/{id}/reply"),
    ("POST", "/portal/tickets/{id}/solve"),
])
def test_another_customers_ticket_is_not_found(client, db, people, make_ticket, login, method, path):
    ticket = make_ticket(people["ana"])
    login(people["eve"])
    response = client.open(path.format(id=ticket.id), method=method, data={"body": "Mine now"})
    assert response.status_code == 404
    db.session.expire_all()
    assert (len(ticket.messages), ticket.status) == (1, "new")


def test_the_page_shows_the_public_conversation_only(client, db, people, make_ticket, login):
    ticket = make_ticket(people["ana"], body="The export is empty.")
    reply = add_message(ticket, people["agent"], "Please try again now.", public=True)
    note = add_message(ticket, people["agent"], "SECRET: their plan lapsed", public=False)
    store_attachments(reply, [Upload("steps.pdf", "application/pdf", b"%PDF-1.7")])
    store_attachments(note, [Upload("internal-audit.txt", "text/plain", b"secret")])
    db.session.commit()
    login(people["ana"])
    page = client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    assert "The export is empty." in page and "Please try again now." in page and "steps.pdf" in page
    assert "SECRET" not in page and "internal-audit.txt" not in page and "Internal note" not in page
    assert "This is solved" in page


def test_a_reply_with_a_file_is_added_to_the_conversation(client, db, people, make_ticket, login):
    ticket = make_ticket(people["ana"])
    login(people["ana"])
    response = client.post(f"/portal/tickets/{ticket.id}/reply", content_type="multipart/form-data", data={
        "body": "Here is the log.", "attachments": [(io.BytesIO(b"line 1\nline 2\n"), "export.log")]})
    assert response.status_code == 302 and response.headers["Location"] == f"/portal/tickets/{ticket.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your reply was sent." in page and "Here is the log." in page and "export.log" in page
    message = db.session.scalars(select(Message).where(Message.body == "Here is the log.")).one()
    assert (message.public, message.author_id, [a.filename for a in message.attachments]) == (
        True, people["ana"].id, ["export.log"])


def test_a_bad_reply_is_explained_and_nothing_is_stored(client, db, people, make_ticket, login, new_uploads):
    ticket = make_ticket(people["ana"])
    login(people["ana"])
    empty = client.post(f"/portal/tickets/{ticket.id}/reply", data={"body": "  "})
    assert empty.status_code == 400 and "Write a reply first." in empty.get_data(as_text=True)
    bad_file = client.post(f"/portal/tickets/{ticket.id}/reply", content_type="multipart/form-data", data={
        "body": "See attached", "attachments": [(io.BytesIO(b"MZ\x90\x00"), "fix.exe")]})
    assert bad_file.status_code == 422 and "is not a file type we accept" in bad_file.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Message.id))) == 1
    assert db.session.scalar(select(db.func.count(Attachment.id))) == 0 and not new_uploads()


def test_a_reply_on_a_solved_ticket_reopens_it(client, db, people, make_ticket, login):
    ticket = make_ticket(people["ana"])
    change_status(ticket, people["agent"], "solved")
    db.session.commit()
    login(people["ana"])
    page = client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    assert "reply and we will reopen it" in page
    client.post(f"/portal/tickets/{ticket.id}/reply", data={"body": "Still empty, sorry."})
    db.session.expire_all()
    assert (ticket.status, ticket.reopen_count, ticket.messages[-1].body) == ("open", 1, "Still empty, sorry.")


def test_a_reply_on_a_closed_ticket_opens_a_linked_follow_up(client, db, people, make_ticket, login, png):
    ticket = make_ticket(people["ana"], subject="Export is empty")
    change_status(ticket, people["agent"], "solved")
    change_status(ticket, None, "closed")
    db.session.commit()
    login(people["ana"])
    assert "Your reply will open a new request linked to this one." in client.get(
        f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    response = client.post(f"/portal/tickets/{ticket.id}/reply", content_type="multipart/form-data",
                           data={"body": "It happened again.", "attachments": [png()]})
    follow_up = db.session.scalars(select(Ticket).where(Ticket.id != ticket.id)).one()
    assert response.headers["Location"] == f"/portal/tickets/{follow_up.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Request #{ticket.id} is closed, so your reply opened a new request #{follow_up.id} linked to it." in page
    assert f'href="/portal/tickets/{ticket.id}"' in page and "screenshot.png" in page
    assert (follow_up.follow_up_of_id, follow_up.requester_id, follow_up.subject, follow_up.status) == (
        ticket.id, people["ana"].id, "Export is empty", "new")
    assert follow_up.messages[0].body == "It happened again."
    db.session.expire_all()
    assert (ticket.status, len(ticket.messages)) == ("closed", 1)
    old_page = client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    assert 'This request continues in' in old_page and f'href="/portal/tickets/{follow_up.id}"' in old_page


def test_the_requester_marks_the_ticket_solved(client, db, people, make_ticket, login, run_jobs):
    ticket = make_ticket(people["ana"])
    login(people["ana"])
    response = client.post(f"/portal/tickets/{ticket.id}/solve")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We marked your request as solved." in page and "This is solved" not in page
    db.session.expire_all()
    assert ticket.status == "solved" and ticket.solved_at is not None
    event = db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "status")).one()
    assert (event.actor_id, event.old_value, event.new_value) == (people["ana"].id, "new", "solved")


def test_only_the_requester_may_mark_it_solved(client, db, people, make_ticket, login):
    people["acme"].shared_tickets = True
    ticket = make_ticket(people["ana"])
    login(people["bo"])
    assert "This is solved" not in client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    response = client.post(f"/portal/tickets/{ticket.id}/solve")
    assert response.status_code == 403
    assert "Only the person who asked" in response.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.status == "new"


def test_the_solved_button_needs_a_csrf_token(client, db, people, make_ticket, login, csrf_enabled, csrf_token):
    ticket = make_ticket(people["ana"])
    token = csrf_token(client.get("/login"))
    client.post("/login", data={"email": "ana@acme.example", "password": "correct-horse-battery",
                                "csrf_token": token})
    assert client.post(f"/portal/tickets/{ticket.id}/solve").status_code == 400
    db.session.expire_all()
    assert ticket.status == "new"
    token = csrf_token(client.get(f"/portal/tickets/{ticket.id}"))
    assert client.post(f"/portal/tickets/{ticket.id}/solve", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert ticket.status == "solved"
