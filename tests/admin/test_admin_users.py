"""Admin: users and roles."""

import re

import pytest

from app.core.errors import DomainError
from app.models import OutboundMail, User


def _user(db, email):
    return db.session.scalar(db.select(User).where(User.email == email))


def test_list_searches_filters_and_pages(client, db, admin, make_user):
    for n in range(30):
        make_user("agent", email=f"agent{n:02d}@tandem.example", password=None)
    make_user("customer", email="ana@acme.example", password=None, name="Ana Lima")

    page = client.get("/admin/users/?role=agent").get_data(as_text=True)
    assert "agent00@tandem.example" in page and "ana@acme.example" not in page
    assert "agent29@tandem.example" not in page  # on page 2
    assert "agent29@tandem.example" in client.get("/admin/users/?role=agent&page=2").get_data(as_text=True)

    found = client.get("/admin/users/?q=lima").get_data(as_text=True)
    assert "ana@acme.example" in found and "agent00@tandem.example" not in found
    assert client.get("/admin/users/?role=wizard").status_code == 200  # an unknown filter shows everyone


def test_create_with_password_can_sign_in(app, client, db, admin):
    response = client.post("/admin/users/new", data={
        "email": "Nina@Tandem.example", "name": "Nina", "role": "csm", "password": "a-good-password"})
    assert response.status_code == 302
    nina = _user(db, "nina@tandem.example")
    assert nina.role == "csm" and nina.password_hash
    assert db.session.scalar(db.select(db.func.count(OutboundMail.id))) == 0
    other = app.test_client()
    assert other.post("/login", data={"email": "nina@tandem.example",
                                      "password": "a-good-password"}).headers["Location"] == "/success/"


def test_create_without_password_mails_a_set_password_link(app, client, db, admin, make_org, run_jobs):
    org = make_org("Acme")
    response = client.post("/admin/users/new", data={
        "email": "ana@acme.example", "role": "customer", "organization_id": str(org.id)})
    assert response.status_code == 302
    run_jobs()
    ana = _user(db, "ana@acme.example")
    assert ana.password_hash is None and ana.organization_id == org.id
    mail = db.session.scalars(db.select(OutboundMail)).one()
    assert mail.to_addr == "ana@acme.example" and mail.kind == "set_password" and mail.status == "outbox"

    path = re.search(r"http://tandem\.test(/password/set/\S+)", mail.body_text).group(1)
    visitor = app.test_client()
    assert visitor.post(path, data={"password": "ana-password-1", "confirm": "ana-password-1"}).status_code == 302
    assert visitor.get("/portal/").status_code == 200


@pytest.mark.parametrize("data, status, message", [
    ({"email": "not-an-address", "role": "agent"}, 422, "not valid"),
    ({"email": "", "role": "agent"}, 400, "Enter an e-mail address."),
    ({"email": "x@tandem.example", "role": "wizard"}, 400, "Not a valid choice"),
    ({"email": "x@tandem.example", "role": "agent", "organization_id": "999"}, 400, "Not a valid choice"),
    ({"email": "x@tandem.example", "role": "agent", "organization_id": "abc"}, 400, "Invalid Choice"),
    ({"email": "x@tandem.example", "role": "agent", "password": "short"}, 422, "at least 8 characters"),
    ({"email": "boss@tandem.example", "role": "agent"}, 422, "already exists"),
])
def test_create_refuses_bad_input_and_stores_nothing(client, db, admin, data, status, message):
    before = db.session.scalar(db.select(db.func.count(User.id)))
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id))) == before
    assert db.session.scalar(db.select(db.func.count(OutboundMail.id))) == 0


def test_change_role(client, db, admin, make_user, make_group):
    agent = make_user("agent", password=None)
    group = make_group("Billing", members=[agent])
    response = client.post(f"/admin/users/{agent.id}/role", data={"role": "csm"})
    assert response.status_code == 302
    db.session.refresh(agent)
    db.session.refresh(group)
    assert agent.role == "csm"
    assert group.members == []  # only agents work in groups

    assert client.post(f"/admin/users/{agent.id}/role", data={"role": "overlord"}).status_code == 400
    db.session.refresh(agent)
    assert agent.role == "csm"


def test_admin_cannot_change_own_role_or_deactivate_self(client, db, admin):
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "agent"})
    assert response.status_code == 422
    assert "your own role" in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 422
    assert "cannot deactivate yourself" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == "admin" and admin.active
    assert client.get("/admin/").status_code == 200


def test_last_active_admin_cannot_be_removed(db, make_user):
    from app.admin.services import change_role, deactivate_user

    only = make_user("admin", password=None)
    make_user("admin", password=None, active=False)  # a deactivated admin does not count
    with pytest.raises(DomainError, match="last active admin"):
        change_role(None, only, "agent")
    with pytest.raises(DomainError, match="last active admin"):
        deactivate_user(None, only)
    db.session.rollback()
    second = make_user("admin", password=None)
    assert change_role(None, only, "agent") is True
    db.session.commit()
    with pytest.raises(DomainError, match="last active admin"):
        deactivate_user(None, second)


def test_another_admin_can_be_demoted_while_one_remains(client, db, admin, make_user):
    other = make_user("admin", password=None)
    assert client.post(f"/admin/users/{other.id}/role", data={"role": "agent"}).status_code == 302
    db.session.refresh(other)
    assert other.role == "agent"


def test_deactivate_and_reactivate(app, client, db, admin, make_user, login):
    agent = make_user("agent")
    agent_client = app.test_client()
    agent_client.post("/login", data={"email": agent.email, "password": "correct-horse-battery"})
    assert agent_client.get("/agent/").status_code == 200

    assert client.post(f"/admin/users/{agent.id}/deactivate").status_code == 302
    assert "Deactivated" in client.get("/admin/users/").get_data(as_text=True)
    assert agent_client.get("/agent/").status_code == 302  # signed out at once
    assert agent_client.post("/login", data={"email": agent.email,
                                             "password": "correct-horse-battery"}).status_code == 401

    assert client.post(f"/admin/users/{agent.id}/reactivate").status_code == 302
    assert agent_client.post("/login", data={"email": agent.email,
                                             "password": "correct-horse-battery"}).status_code == 302


def test_send_password_link_on_request(client, db, admin, make_user, run_jobs):
    agent = make_user("agent", password=None)
    assert client.post(f"/admin/users/{agent.id}/password-link").status_code == 302
    run_jobs()
    assert db.session.scalars(db.select(OutboundMail.to_addr)).all() == [agent.email]


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/9999").status_code == 404
    assert client.post("/admin/users/9999/deactivate").status_code == 404


def test_times_are_shown_in_the_viewers_time_zone(client, db, admin, make_user):
    from datetime import datetime, timezone

    person = make_user("agent", password=None, created_at=datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc))
    admin.timezone = "Asia/Tokyo"
    db.session.commit()
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Jan 1, 2026, 9:30:00\u202fAM" in page or "Jan 1, 2026, 9:30:00 AM" in page
    assert "Times are shown in Asia/Tokyo." in page
