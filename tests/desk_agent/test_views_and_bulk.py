"""Saved views (personal and shared) and bulk actions with partial failures."""

import re

import pytest

from app.models import SavedView, Ticket


def flashes(client):
    html = client.get("/agent/").get_data(as_text=True)
    return [" ".join(m.split()) for m in re.findall(r'class="flash flash-\w+" role="status">(.*?)</div>', html, re.S)]


@pytest.fixture
def olga(make_user):
    return make_user("agent", email="olga@tandem.example", name="Olga")


def save(client, name, shared=False, **filters):
    data = {"name": name, **filters}
    if shared:
        data["shared"] = "y"
    return client.post("/agent/views", data=data)


def test_save_the_current_filters_as_a_personal_view(agent_client, client_for, olga, db, make_ticket, customer,
                                                     listed):
    urgent = make_ticket(customer, priority="urgent")
    make_ticket(customer, priority="low")
    response = save(agent_client, "Urgent ones", priority=["urgent"], status=["new", "open"])
    assert response.status_code == 302
    view = db.session.scalars(db.select(SavedView)).one()
    assert response.headers["Location"].endswith(f"/agent/?saved={view.id}")
    assert view.filters == {"status": ["new", "open"], "priority": ["urgent"]} and not view.shared
    page = agent_client.get(f"/agent/?saved={view.id}")
    assert listed(page) == [urgent.id]
    assert "Urgent ones" in page.get_data(as_text=True)
    assert agent_client.get("/agent/views/counts").get_json()[f"saved:{view.id}"] == "1"
    # Personal: Olga does not see it, not even by its id.
    assert "Urgent ones" not in client_for(olga).get("/agent/").get_data(as_text=True)
    assert client_for(olga).get(f"/agent/?saved={view.id}").status_code == 404


def test_shared_views_are_seen_by_all_staff(agent_client, client_for, olga, make_user, db):
    save(agent_client, "Team breached", shared=True, breach="breached")
    view = db.session.scalars(db.select(SavedView)).one()
    for user in (olga, make_user("csm"), make_user("admin")):
        html = client_for(user).get("/agent/").get_data(as_text=True)
        assert "Team breached" in html and client_for(user).get(f"/agent/?saved={view.id}").status_code == 200


def test_rename_and_delete_own_view(agent_client, db):
    save(agent_client, "Mine")
    view = db.session.scalars(db.select(SavedView)).one()
    assert agent_client.post(f"/agent/views/{view.id}/rename", data={"name": "Renamed"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SavedView, view.id).name == "Renamed"
    assert agent_client.post(f"/agent/views/{view.id}/delete").status_code == 302
    assert db.session.scalar(db.select(db.func.count(SavedView.id))) == 0


def test_others_cannot_rename_or_delete_a_shared_view_but_admins_may_delete_it(
        agent_client, client_for, olga, make_user, db):
    save(agent_client, "Shared", shared=True, status=["pending"])
    view = db.session.scalars(db.select(SavedView)).one()
    other = client_for(olga)
    other.post(f"/agent/views/{view.id}/rename", data={"name": "Hijacked"})
    other.post(f"/agent/views/{view.id}/delete")
    db.session.expire_all()
    assert db.session.get(SavedView, view.id).name == "Shared"
    assert any("Only the person who saved a view" in f for f in flashes(other))
    assert client_for(make_user("admin")).post(f"/agent/views/{view.id}/delete").status_code == 302
    assert db.session.scalar(db.select(db.func.count(SavedView.id))) == 0


@pytest.mark.parametrize("data, message", [
    ({"name": ""}, "Give the view a name."),
    ({"name": "x" * 101}, "100"),
    ({"name": "Bad", "status": "archived"}, "Unknown status archived"),
])
def test_bad_view_input_is_refused(agent_client, db, data, message):
    agent_client.post("/agent/views", data=data)
    assert any(message in f for f in flashes(agent_client))
    assert db.session.scalar(db.select(db.func.count(SavedView.id))) == 0


def test_duplicate_view_names_are_refused(agent_client, db):
    save(agent_client, "Mine")
    save(agent_client, "mine")
    assert any("You already have a view called" in f for f in flashes(agent_client))
    assert db.session.scalar(db.select(db.func.count(SavedView.id))) == 1


# --- bulk ------------------------------------------------------------------------------------------

@pytest.fixture
def three(make_ticket, customer):
    return [make_ticket(customer, status="open"), make_ticket(customer, status="solved"),
            make_ticket(customer, status="closed")]


def reload(db, tickets):
    db.session.expire_all()
    return [db.session.get(Ticket, t.id) for t in tickets]


def test_bulk_assign(agent_client, agent, three, db):
    open_, solved, _closed = three
    response = agent_client.post("/agent/bulk", data={
        "ticket_ids": [open_.id, solved.id], "action": "assign", "assignee": "me", "next": "/agent/?view=active"})
    assert response.status_code == 302 and response.headers["Location"] == "/agent/?view=active"
    assert [t.assignee_id for t in reload(db, three)] == [agent.id, agent.id, None]


def test_bulk_status_reports_each_refusal_and_changes_the_rest(agent_client, three, db):
    open_, solved, closed = three
    agent_client.post("/agent/bulk", data={
        "ticket_ids": [open_.id, solved.id, closed.id, 9999], "action": "status", "status": "pending"})
    assert [t.status for t in reload(db, three)] == ["pending", "solved", "closed"]
    messages = flashes(agent_client)
    assert f"1 ticket(s) changed: #{open_.id}." in messages
    assert f"#{solved.id} was not changed: A solved ticket cannot become pending." in messages
    assert f"#{closed.id} was not changed: A closed ticket cannot become pending." in messages
    assert "#9999 was not changed: Ticket not found." in messages


def test_bulk_add_tag(agent_client, three, db):
    open_, solved, closed = three
    agent_client.post("/agent/bulk", data={"ticket_ids": [open_.id, solved.id, closed.id], "action": "add_tag",
                                           "tag": "Outage 42"})
    assert [t.tag_names for t in reload(db, three)] == [["outage-42"], ["outage-42"], []]
    assert f"#{closed.id} was not changed: Closed tickets cannot change." in flashes(agent_client)


@pytest.mark.parametrize("data, message", [
    ({"action": "status", "status": "open"}, "Check at least one ticket first."),
    ({"ticket_ids": "1", "action": "status", "status": ""}, "Choose a status."),
    ({"ticket_ids": "1", "action": "assign", "assignee": "424242"}, "Choose an agent"),
    ({"ticket_ids": "abc", "action": "add_tag", "tag": "x"}, "is not a ticket number"),
    ({"ticket_ids": "1", "action": "explode"}, "Choose what to do"),
])
def test_bad_bulk_input_changes_nothing(agent_client, three, db, data, message):
    before = [(t.status, t.assignee_id) for t in three]
    agent_client.post("/agent/bulk", data=data)
    assert [(t.status, t.assignee_id) for t in reload(db, three)] == before
    assert any(message in f for f in flashes(agent_client))


def test_bulk_refuses_an_offsite_return_address(agent_client, three):
    response = agent_client.post("/agent/bulk", data={"ticket_ids": three[0].id, "action": "add_tag", "tag": "a",
                                                      "next": "https://evil.example/agent/"})
    assert response.headers["Location"] == "/agent/"
