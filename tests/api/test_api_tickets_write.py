"""Create, read, reply and update tickets over the API, with the role rules of the pages."""

import re

import pytest
from sqlalchemy import select

from app.models import Message, Ticket, TicketEvent, User
from app.support.services import add_message

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def _create(client, headers, **payload):
    payload.setdefault("subject", "Export is empty")
    payload.setdefault("body", "The CSV export has no rows.")
    return client.post("/api/v1/tickets", headers=headers, json=payload)


# --- create ------------------------------------------------------------------------------------

def test_agent_creates_a_ticket_for_a_requester(client, db, make_org, token_for, run_jobs):
    acme = make_org("Acme")
    agent, headers = token_for("agent")
    response = _create(client, headers, requester_email="Ana@Acme.Example", priority="high", organization="acme",
                       language="EN")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] == body["number"] and body["id"] > 0
    assert body["subject"] == "Export is empty"
    assert (body["status"], body["priority"], body["channel"], body["language"]) == ("new", "high", "api", "en")
    assert body["requester_email"] == "ana@acme.example"
    assert body["organization"] == "Acme"
    assert (body["assignee_email"], body["group"], body["tags"], body["topic_id"], body["sla"]) == (
        None, None, [], None, [])
    assert ISO_UTC.match(body["created_at"]) and ISO_UTC.match(body["updated_at"])
    assert "messages" not in body
    assert response.headers["ETag"]

    ticket = db.session.get(Ticket, body["id"])
    assert ticket.organization_id == acme.id
    assert [m.body for m in ticket.messages] == ["The CSV export has no rows."]
    requester = db.session.scalar(select(User).where(User.email == "ana@acme.example"))
    assert requester.role == "customer" and requester.password_hash is None


def test_staff_must_name_the_requester(client, token_for, error_of, row_counts):
    _, headers = token_for("agent")
    before = row_counts()
    error = error_of(_create(client, headers), 422)
    assert error["message"].startswith("requester_email")
    assert row_counts() == before


def test_unknown_organization_is_422_and_stores_nothing(client, token_for, error_of, row_counts):
    _, headers = token_for("admin")
    before = row_counts()
    error = error_of(_create(client, headers, requester_email="new@acme.example", organization="Nope"), 422)
    assert "Nope" in error["message"]
    assert row_counts() == before  # not even the new requester's account


def test_customer_creates_for_themselves(client, make_org, make_user, token_for):
    acme = make_org("Acme")
    ana, headers = token_for(make_user("customer", organization_id=acme.id))
    for payload in ({}, {"requester_email": ana.email.upper()}, {"organization": "Acme"}):
        response = _create(client, headers, **payload)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["requester_email"] == ana.email
        assert response.get_json()["organization"] == "Acme"


@pytest.mark.parametrize("payload", [
    {"requester_email": "someone-else@example.com"},
    {"organization": "Globex"},
])
def test_customer_cannot_create_for_others(client, make_org, token_for, error_of, row_counts, payload):
    make_org("Globex")
    _, headers = token_for("customer")
    before = row_counts()
    assert error_of(_create(client, headers, **payload), 403)["code"] == "forbidden"
    assert row_counts() == before


def test_csm_cannot_create_tickets(client, token_for, error_of):
    _, headers = token_for("csm")
    assert error_of(_create(client, headers, requester_email="a@b.example"), 403)["code"] == "forbidden"


# --- read --------------------------------------------------------------------------------------

def test_get_ticket_with_messages(client, db, make_ticket, make_user, token_for):
    ana = make_user("customer", email="ana@acme.example")
    agent, headers = token_for("agent")
    ticket = make_ticket(requester=ana)
    add_message(ticket, agent, "Looking into it.", public=True, notify=False)
    add_message(ticket, agent, "Probably the March migration.", public=False, notify=False)
    db.session.commit()

    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).get_json()
    assert body["id"] == ticket.id and body["status"] == "open"
    assert [(m["author_email"], m["public"]) for m in body["messages"]] == [
        ("ana@acme.example", True), (agent.email, True), (agent.email, False)]
    assert set(body["messages"][0]) == {"id", "author_email", "body", "public", "created_at"}
    assert ISO_UTC.match(body["messages"][0]["created_at"])


def test_customer_gets_public_messages_only(client, db, make_ticket, token_for):
    ana, headers = token_for("customer")
    agent = token_for("agent")[0]
    ticket = make_ticket(requester=ana)
    add_message(ticket, agent, "Internal: refund later.", public=False, notify=False)
    db.session.commit()
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).get_json()
    assert [m["body"] for m in body["messages"]] == ["The CSV export has no rows."]


def test_customer_on_another_customers_ticket_gets_404(client, make_ticket, make_user, token_for, error_of):
    _, headers = token_for("customer")
    other = make_ticket(requester=make_user("customer"))
    assert error_of(client.get(f"/api/v1/tickets/{other.id}", headers=headers), 404)["code"] == "not_found"
    # Same answer as a ticket that does not exist.
    assert error_of(client.get("/api/v1/tickets/987654", headers=headers), 404)["code"] == "not_found"


# --- messages ----------------------------------------------------------------------------------

def test_agent_replies_and_writes_notes(client, db, make_ticket, token_for):
    agent, headers = token_for("agent")
    ticket = make_ticket()
    reply = client.post(f"/api/v1/tickets/{ticket.id}/messages", headers=headers,
                        json={"body": "We are on it.", "public": True})
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert set(body) == {"id", "author_email", "body", "public", "created_at"}
    assert (body["author_email"], body["body"], body["public"]) == (agent.email, "We are on it.", True)

    note = client.post(f"/api/v1/tickets/{ticket.id}/messages", headers=headers,
                       json={"body": "Escalate to billing.", "public": False})
    assert note.status_code == 201 and note.get_json()["public"] is False
    db.session.expire_all()
    stored = db.session.get(Ticket, ticket.id)
    assert [(m.public, m.via) for m in stored.messages[1:]] == [(True, "api"), (False, "api")]
    assert stored.status == "open"  # the first public agent reply opens a new ticket


def test_customer_replies_on_own_ticket(client, make_ticket, token_for):
    ana, headers = token_for("customer")
    ticket = make_ticket(requester=ana)
    response = client.post(f"/api/v1/tickets/{ticket.id}/messages", headers=headers,
                           json={"body": "Any news?", "public": True})
    assert response.status_code == 201
    assert response.get_json()["author_email"] == ana.email


def test_customer_internal_note_is_403_on_own_and_404_on_others(
        client, make_ticket, make_user, token_for, error_of, row_counts):
    ana, headers = token_for("customer")
    own = make_ticket(requester=ana)
    other = make_ticket(requester=make_user("customer"))
    before = row_counts()
    note = {"body": "psst", "public": False}
    assert error_of(client.post(f"/api/v1/tickets/{own.id}/messages", headers=headers, json=note), 403)
    assert error_of(client.post(f"/api/v1/tickets/{other.id}/messages", headers=headers, json=note), 404)
    reply = {"body": "hello", "public": True}
    assert error_of(client.post(f"/api/v1/tickets/{other.id}/messages", headers=headers, json=reply), 404)
    assert row_counts() == before


def test_csm_cannot_write_messages(client, make_ticket, token_for, error_of):
    _, headers = token_for("csm")
    ticket = make_ticket()
    response = client.post(f"/api/v1/tickets/{ticket.id}/messages", headers=headers,
                           json={"body": "hi", "public": True})
    assert error_of(response, 403)["code"] == "forbidden"


@pytest.mark.parametrize("payload, field", [
    ({"body": "hi"}, "public"),
    ({"public": True}, "body"),
    ({"body": "hi", "public": "sometimes"}, "public"),
    ({"body": "x" * 65_001, "public": True}, "body"),
])
def test_invalid_message_is_422(client, make_ticket, token_for, error_of, row_counts, payload, field):
    _, headers = token_for("agent")
    ticket = make_ticket()
    before = row_counts()
    error = error_of(client.post(f"/api/v1/tickets/{ticket.id}/messages", headers=headers, json=payload), 422)
    assert error["message"].startswith(f"{field}: ")
    assert row_counts() == before


def test_reply_on_closed_ticket_is_422(client, make_ticket, token_for, error_of, row_counts):
    _, headers = token_for("agent")
    ticket = make_ticket(status="closed")
    before = row_counts()
    response = client.post(f"/api/v1/tickets/{ticket.id}/messages", headers=headers,
                           json={"body": "hello", "public": True})
    assert error_of(response, 422)["code"] == "validation_error"
    assert row_counts() == before


# --- update ------------------------------------------------------------------------------------

def test_agent_updates_fields(client, db, make_group, make_ticket, make_user, token_for):
    agent, headers = token_for("agent")
    make_group("Billing")
    bo = make_user("agent", email="bo@example.com")
    ticket = make_ticket()
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json={
        "status": "pending", "priority": "urgent", "assignee_email": "bo@example.com",
        "group": "billing", "tags": ["Export", "csv", "csv"]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["priority"], body["assignee_email"], body["group"], body["tags"]) == (
        "pending", "urgent", bo.email, "Billing", ["csv", "export"])
    assert "messages" in body
    kinds = db.session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)).all()
    assert {"status", "priority", "assignee", "group", "tags"} <= set(kinds)

    # tags replaces the list; null clears assignee and group; absent fields stay.
    body = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json={
        "tags": ["vip"], "assignee_email": None, "group": None}).get_json()
    assert (body["tags"], body["assignee_email"], body["group"], body["priority"]) == (
        ["vip"], None, None, "urgent")


def test_empty_patch_changes_nothing(client, make_ticket, token_for):
    _, headers = token_for("admin")
    ticket = make_ticket()
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json={})
    assert response.status_code == 200 and response.get_json()["status"] == "new"


@pytest.mark.parametrize("payload, field", [
    ({"status": "archived"}, "status"),
    ({"priority": "critical"}, "priority"),
    ({"assignee_email": "not-an-email"}, "assignee_email"),
    ({"tags": "export"}, "tags"),
    ({"tags": ["x" * 65]}, "tags.0"),
    ({"status": None}, "status"),
])
def test_invalid_update_is_422(client, make_ticket, token_for, error_of, payload, field):
    _, headers = token_for("agent")
    ticket = make_ticket()
    error = error_of(client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json=payload), 422)
    assert error["code"] == "validation_error" and error["message"].startswith(f"{field}: "), error


def test_failed_update_leaves_nothing_half_written(client, db, make_ticket, token_for, error_of, row_counts):
    _, headers = token_for("agent")
    ticket = make_ticket(status="closed")
    before = row_counts()
    # Tags and priority are valid, the transition closed → open is not: none of it may stick.
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers,
                            json={"tags": ["a", "b"], "priority": "urgent", "status": "open"})
    assert error_of(response, 422)["code"] == "validation_error"
    assert row_counts() == before
    db.session.expire_all()
    stored = db.session.get(Ticket, ticket.id)
    assert (stored.tag_names, stored.priority_name, stored.status) == ([], "normal", "closed")


@pytest.mark.parametrize("payload", [{"assignee_email": "ghost@example.com"}, {"group": "Nope"}])
def test_update_naming_missing_people_or_groups_is_422(client, make_ticket, token_for, error_of, payload):
    _, headers = token_for("agent")
    ticket = make_ticket()
    assert error_of(client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json=payload), 422)


def test_assigning_a_customer_is_422(client, make_ticket, make_user, token_for, error_of):
    _, headers = token_for("agent")
    customer = make_user("customer")
    ticket = make_ticket()
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers,
                            json={"assignee_email": customer.email})
    assert error_of(response, 422)["code"] == "validation_error"


def test_update_role_rules(client, make_ticket, make_user, token_for, error_of):
    ana, customer_headers = token_for("customer")
    _, csm_headers = token_for("csm")
    own = make_ticket(requester=ana)
    other = make_ticket(requester=make_user("customer"))
    change = {"priority": "urgent"}
    assert error_of(client.patch(f"/api/v1/tickets/{own.id}", headers=csm_headers, json=change), 403)
    assert error_of(client.patch(f"/api/v1/tickets/{own.id}", headers=customer_headers, json=change), 403)
    assert error_of(client.patch(f"/api/v1/tickets/{other.id}", headers=customer_headers, json=change), 404)
    assert error_of(client.patch("/api/v1/tickets/424242", headers=customer_headers, json=change), 404)


def test_if_match_guards_against_stale_writes(client, db, make_ticket, token_for, error_of, row_counts):
    _, headers = token_for("agent")
    ticket = make_ticket()
    etag = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).headers["ETag"]

    first = client.patch(f"/api/v1/tickets/{ticket.id}", headers={**headers, "If-Match": etag},
                         json={"priority": "high"})
    assert first.status_code == 200
    assert first.headers["ETag"] != etag

    before = row_counts()
    stale = client.patch(f"/api/v1/tickets/{ticket.id}", headers={**headers, "If-Match": etag},
                         json={"priority": "low"})
    assert error_of(stale, 409)["code"] == "conflict"
    assert row_counts() == before
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).priority_name == "high"

    fresh = client.patch(f"/api/v1/tickets/{ticket.id}", headers={**headers, "If-Match": first.headers["ETag"]},
                         json={"priority": "low"})
    assert fresh.status_code == 200 and fresh.get_json()["priority"] == "low"


def test_malformed_if_match_is_400(client, make_ticket, token_for, error_of):
    _, headers = token_for("agent")
    ticket = make_ticket()
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers={**headers, "If-Match": "banana"},
                            json={"priority": "high"})
    assert error_of(response, 400)["code"] == "bad_request"


def test_messages_are_ordered_and_counted(client, db, make_ticket, token_for):
    _, headers = token_for("agent")
    ticket = make_ticket()
    for text in ("one", "two", "three"):
        client.post(f"/api/v1/tickets/{ticket.id}/messages", headers=headers, json={"body": text, "public": True})
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).get_json()
    assert [m["body"] for m in body["messages"]][1:] == ["one", "two", "three"]
    assert db.session.scalar(select(db.func.count()).select_from(Message)) == 4


def test_concurrent_change_between_read_and_write_is_409(client, db, monkeypatch, make_ticket, token_for, error_of):
    """Without If-Match, the version column still stops a lost update in the race window."""
    import app.api.tickets as views
    from app.support import services

    _, headers = token_for("agent")
    ticket = make_ticket()

    def racing_update(ticket, *args, **kwargs):
        with db.engine.begin() as other:  # another agent's change lands after our read
            other.execute(Ticket.__table__.update().where(Ticket.id == ticket.id)
                          .values(version=Ticket.version + 1, status="open"))
        return services.update_ticket(ticket, *args, **kwargs)

    monkeypatch.setattr(views, "update_ticket", racing_update)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json={"priority": "urgent"})
    assert error_of(response, 409)["code"] == "conflict"
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).priority_name == "normal"
