"""Admin: groups and organizations, including bad input that must store nothing."""

from datetime import date
from decimal import Decimal

import pytest

from app.models import Group, Organization, OrganizationDomain


def _count(db, model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


# --- groups ----------------------------------------------------------------------------------

def test_create_rename_and_manage_members(client, db, admin, make_user):
    agent = make_user("agent", email="ivan@tandem.example", password=None)
    response = client.post("/admin/groups/", data={"name": "Billing", "description": "Invoices"})
    assert response.status_code == 302
    group = db.session.scalar(db.select(Group))
    assert (group.name, group.description) == ("Billing", "Invoices")

    page = client.get(f"/admin/groups/{group.id}").get_data(as_text=True)
    assert "ivan@tandem.example" in page  # offered as a member

    assert client.post(f"/admin/groups/{group.id}/members", data={"user_id": str(agent.id)}).status_code == 302
    db.session.refresh(group)
    assert [m.email for m in group.members] == ["ivan@tandem.example"]

    assert client.post(f"/admin/groups/{group.id}", data={"name": "Payments"}).status_code == 302
    db.session.refresh(group)
    assert group.name == "Payments"

    assert client.post(f"/admin/groups/{group.id}/members/{agent.id}/remove").status_code == 302
    db.session.refresh(group)
    assert group.members == []


def test_group_names_are_unique_ignoring_case(client, db, admin, make_group):
    make_group("Billing")
    other = make_group("Tech")
    response = client.post("/admin/groups/", data={"name": "billing"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert _count(db, Group) == 2
    response = client.post(f"/admin/groups/{other.id}", data={"name": "BILLING"})
    assert response.status_code == 422
    db.session.refresh(other)
    assert other.name == "Tech"
    assert client.post("/admin/groups/", data={"name": ""}).status_code == 400


@pytest.mark.parametrize("role, active, message", [
    ("customer", True, "is not an agent"),
    ("csm", True, "is not an agent"),
    ("agent", False, "is deactivated"),
])
def test_only_active_agents_join_groups(client, db, admin, make_user, make_group, role, active, message):
    person = make_user(role, password=None, active=active)
    group = make_group("Billing")
    response = client.post(f"/admin/groups/{group.id}/members", data={"user_id": str(person.id)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(group)
    assert group.members == []


def test_adding_nobody_is_a_bad_request(client, admin, make_group):
    group = make_group("Billing")
    assert client.post(f"/admin/groups/{group.id}/members", data={"user_id": ""}).status_code == 400
    assert client.post(f"/admin/groups/{group.id}/members", data={"user_id": "x"}).status_code == 400
    assert client.post(f"/admin/groups/{group.id}/members", data={"user_id": "9999"}).status_code == 400


# --- organizations ---------------------------------------------------------------------------

FULL = {
    "name": "Acme", "domains": "acme.example\n@Acme.co.uk, acme.example", "plan": "Enterprise",
    "mrr": "1250.50", "stage": "onboarding", "renewal_date": "2027-03-31",
    "segment_tags": "Enterprise, EMEA", "shared_tickets": "y",
}


def test_create_and_edit_an_organization(client, db, admin, make_user):
    csm = make_user("csm", email="carla@tandem.example", password=None)
    response = client.post("/admin/organizations/new", data={**FULL, "owner_id": str(csm.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    org = db.session.scalar(db.select(Organization))
    assert org.domain_names == ["acme.co.uk", "acme.example"]
    assert (org.plan, org.mrr, org.stage) == ("Enterprise", Decimal("1250.50"), "onboarding")
    assert org.renewal_date == date(2027, 3, 31)
    assert org.owner_id == csm.id
    assert org.segment_tags == ["enterprise", "emea"]
    assert org.shared_tickets is True

    form = client.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert "acme.co.uk" in form and "enterprise, emea" in form

    response = client.post(f"/admin/organizations/{org.id}", data={
        "name": "Acme Corp", "domains": "acme.example", "mrr": "0", "stage": "churned", "owner_id": ""})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.name == "Acme Corp" and org.domain_names == ["acme.example"]
    assert org.stage == "churned" and org.owner_id is None and org.shared_tickets is False
    assert _count(db, OrganizationDomain) == 1

    listing = client.get("/admin/organizations/?q=corp").get_data(as_text=True)
    assert "Acme Corp" in listing


@pytest.mark.parametrize("changes, status, message", [
    ({"mrr": "lots"}, 400, "Not a valid decimal value"),
    ({"mrr": "-5"}, 400, "Enter an amount from 0"),
    ({"stage": "zombie"}, 400, "Not a valid choice"),
    ({"renewal_date": "31/02/2027"}, 400, "Not a valid date value"),
    ({"name": ""}, 400, "Enter a name."),
    ({"domains": "not a domain!"}, 422, "is not an e-mail domain"),
    ({"domains": "globex.example"}, 422, "already belongs to another organization"),
    ({"name": "globex"}, 422, "already exists"),
    ({"owner_id": "9999"}, 400, "Not a valid choice"),
])
def test_bad_organization_input_stores_nothing(client, db, admin, make_org, changes, status, message):
    globex = make_org("Globex")
    globex.domains.append(OrganizationDomain(domain="globex.example"))
    db.session.commit()
    response = client.post("/admin/organizations/new", data={**FULL, **changes})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _count(db, Organization) == 1
    assert _count(db, OrganizationDomain) == 1


def test_customer_cannot_own_an_account(client, db, admin, make_user, make_org):
    customer = make_user("customer", password=None)
    org = make_org("Acme")
    response = client.post(f"/admin/organizations/{org.id}", data={**FULL, "owner_id": str(customer.id)})
    assert response.status_code == 400  # not offered, so not a valid choice
    db.session.refresh(org)
    assert org.owner_id is None and org.plan is None


def test_service_refuses_an_owner_who_is_not_a_csm(db, make_user):
    from app.admin.services import save_organization
    from app.core.errors import DomainError

    agent = make_user("agent", password=None)
    with pytest.raises(DomainError, match="cannot own accounts"):
        save_organization(None, None, name="Acme", owner=agent)
    db.session.rollback()
    assert _count(db, Organization) == 0


def test_admin_home_links_everything(client, admin):
    page = client.get("/admin/").get_data(as_text=True)
    for href in ("/admin/users/", "/admin/groups/", "/admin/organizations/", "/admin/jobs", "/admin/outbox"):
        assert f'href="{href}"' in page
