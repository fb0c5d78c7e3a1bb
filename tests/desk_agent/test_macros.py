"""Macros: placeholders, preview, apply (all or nothing) and the admin pages."""

import re

import pytest

from app.core.errors import DomainError
from app.models import Macro, Message, Ticket
from app.support import macros


@pytest.fixture
def macro(db, make_group):
    make_group("Billing")
    m = Macro(name="Refund on its way", public=True,
              body="Hi {{ requester.first_name }}, ticket #{{ticket.number}} is refunded. — {{ agent.name }}",
              actions={"status": "pending", "priority": "high", "add_tags": ["refund"], "group": "Billing",
                       "assignee": "me"})
    db.session.add(m)
    db.session.commit()
    return m


def test_placeholders_are_filled_and_nothing_is_evaluated(ticket, agent):
    text = macros.render_body("Hi {{requester.first_name}} / {{ requester.email }} / #{{ ticket.number }} / "
                              "{{ agent.first_name }} / {{ organization.name }} / {{ 7*7 }} / {{ config }}",
                              ticket, agent)
    assert text == f"Hi Ana / ana@acme.example / #{ticket.id} / Ivan / Acme / {{{{ 7*7 }}}} / {{{{ config }}}}"


@pytest.mark.parametrize("body, actions, field, message", [
    ("Hi {{ requester.password_hash }}", {}, "body", "Unknown placeholder {{ requester.password_hash }}"),
    ("{{ 7*7 }}", {}, "body", "Unknown placeholder"),
    ("Hi", {"status": "archived"}, "status", "Unknown status archived"),
    ("Hi", {"priority": "critical"}, "priority", "Unknown priority critical"),
    ("Hi", {"group": "Nope"}, "group", "No group is called"),
    ("Hi", {"assignee": "ana@acme.example"}, "assignee", "is not an agent"),
    ("", {}, "body", "needs a text, a field change, or both"),
])
def test_bad_macros_are_refused_with_a_clear_message(db, agent, customer, body, actions, field, message):
    with pytest.raises(DomainError) as info:
        macros.save_macro(agent, name="Bad", body=body, actions=actions)
    assert info.value.field == field and message in info.value.message


def test_preview_shows_rendered_text_and_field_changes(agent_client, ticket, macro):
    response = agent_client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}")
    assert response.status_code == 200
    html = " ".join(response.get_data(as_text=True).split())
    assert f"Hi Ana, ticket #{ticket.id} is refunded. — Ivan Petrov" in html
    for change in ("Status: New → <strong>Pending</strong>", "Priority: Normal → <strong>High</strong>",
                   "Tags: <em>none</em> → <strong>refund</strong>", "Group: <em>none</em> → <strong>Billing</strong>",
                   "Assignee: <em>none</em> → <strong>ivan@tandem.example</strong>"):
        assert change in html
    assert ticket.status == "new"  # the preview changed nothing


def test_apply_adds_the_reply_and_applies_every_action_at_once(agent_client, ticket, macro, agent, db):
    page = agent_client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = agent_client.post(f"/agent/tickets/{ticket.id}/macro", data={
        "macro_id": macro.id, "version": version, "body": "Hi Ana, refunded (edited)."})
    assert response.status_code == 302
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.priority_name, ticket.tag_names, ticket.group.name, ticket.assignee_id) == (
        "pending", "high", ["refund"], "Billing", agent.id)
    assert ticket.messages[-1].body == "Hi Ana, refunded (edited)." and ticket.messages[-1].public
    html = " ".join(agent_client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True).split())
    assert "applied the macro “Refund on its way”" in html


def test_apply_is_all_or_nothing(agent_client, ticket, macro, db):
    macro.actions = {"status": "closed", "priority": "urgent"}  # new → closed is not a transition
    ticket_version = ticket.version
    db.session.commit()
    response = agent_client.post(f"/agent/tickets/{ticket.id}/macro", data={
        "macro_id": macro.id, "version": ticket_version, "body": "Bye"})
    assert response.status_code == 422
    assert "cannot become closed" in response.get_data(as_text=True)
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.priority_name, len(ticket.messages)) == ("new", "normal", 1)


def test_preview_warns_about_an_action_that_cannot_apply(agent_client, ticket, macro, db):
    macro.actions = {"status": "closed"}
    db.session.commit()
    html = agent_client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}").get_data(as_text=True)
    assert "cannot become closed" in html and "disabled" in html


def test_stale_macro_apply_is_refused(client_for, agent, make_user, ticket, macro, db):
    stale = ticket.version
    other = client_for(make_user("agent", name="Olga"))
    assert other.post(f"/agent/tickets/{ticket.id}/messages", data={"body": "I got it"}).status_code == 302
    response = client_for(agent).post(f"/agent/tickets/{ticket.id}/macro", data={
        "macro_id": macro.id, "version": stale, "body": "Refunded"})
    assert response.status_code == 409
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 2


def test_unknown_or_inactive_macro_is_404(agent_client, ticket, macro, db):
    macro.active = False
    db.session.commit()
    assert agent_client.get(f"/agent/tickets/{ticket.id}?macro={macro.id}").status_code == 404
    assert agent_client.get(f"/agent/tickets/{ticket.id}?macro=999").status_code == 404


# --- admin -----------------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client_for, make_user):
    return client_for(make_user("admin"))


def macro_form(**values):
    data = {"name": "Need more info", "body": "Hi {{ requester.first_name }}, could you send a screenshot?",
            "public": "reply", "status": "pending", "priority": "", "add_tags": "needs-info, waiting",
            "group": "", "assignee": "", "active": "y"}
    data.update(values)
    return data


def test_admin_creates_edits_and_deletes_a_macro(admin_client, db):
    assert admin_client.get("/admin/macros/new").status_code == 200
    response = admin_client.post("/admin/macros/new", data=macro_form())
    assert response.status_code == 302
    macro = db.session.scalars(db.select(Macro)).one()
    assert macro.actions == {"status": "pending", "add_tags": ["needs-info", "waiting"]} and macro.public
    assert "Need more info" in admin_client.get("/admin/macros").get_data(as_text=True)
    page = admin_client.get(f"/admin/macros/{macro.id}").get_data(as_text=True)
    assert 'value="Need more info"' in page
    assert admin_client.post(f"/admin/macros/{macro.id}", data=macro_form(public="note", status="")).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Macro, macro.id).public and db.session.get(Macro, macro.id).actions == {
        "add_tags": ["needs-info", "waiting"]}
    assert admin_client.post(f"/admin/macros/{macro.id}/delete").status_code == 302
    assert db.session.scalar(db.select(db.func.count(Macro.id))) == 0


@pytest.mark.parametrize("values, message", [
    ({"body": "Hi {{ requester.nickname }}"}, "Unknown placeholder {{ requester.nickname }}"),
    ({"status": "archived"}, "Unknown status archived"),
    ({"name": ""}, "Give the macro a name."),
])
def test_admin_gets_clear_errors_and_nothing_is_saved(admin_client, db, values, message):
    response = admin_client.post("/admin/macros/new", data=macro_form(**values))
    assert response.status_code in (400, 422)
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Macro.id))) == 0


def test_macro_names_are_unique(admin_client, db, macro):
    response = admin_client.post("/admin/macros/new", data=macro_form(name="refund on its way"))
    assert response.status_code == 422 and "exists already" in response.get_data(as_text=True)


def test_agents_cannot_manage_macros(agent_client, macro):
    assert agent_client.get("/admin/macros").status_code == 403
    assert agent_client.post("/admin/macros/new", data=macro_form()).status_code == 403
    assert agent_client.post(f"/admin/macros/{macro.id}/delete").status_code == 403
