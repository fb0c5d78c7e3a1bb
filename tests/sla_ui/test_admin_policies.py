"""Admin: SLA policies — create, edit, reorder, delete; bad input stores nothing; who may."""

import re

import pytest

from app.models import JobRecord
from app.models.sla import SlaPolicy, SlaTarget


def policy_form(**overrides):
    data = {
        "name": "Enterprise", "active": "y", "warn_minutes": "20",
        "target_first_reply_4": "0:30", "business_first_reply_4": "y",
        "target_first_reply_3": "60", "business_first_reply_3": "y",
        "target_resolution_4": "8:00",  # no business-hours box: calendar time
        "pause_first_reply": ["pending"], "pause_next_reply": ["pending"],
        "pause_resolution": ["pending", "on_hold"],
        "notify_assignee": "y", "notify_group": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def targets_of(policy):
    return sorted((t.metric, t.priority, t.minutes, t.business_hours) for t in policy.targets)


def test_new_policy_form_offers_the_default_pauses(client, admin, make_group):
    make_group("Billing")
    page = client.get("/admin/sla/policies/new").get_data(as_text=True)
    checked = set(re.findall(r'<input checked id="(pause_\w+-\d)" name="(pause_\w+)" type="checkbox" value="(\w+)"',
                             page))
    assert {(name, value) for _id, name, value in checked} == {
        ("pause_first_reply", "pending"), ("pause_next_reply", "pending"), ("pause_resolution", "pending"),
        ("pause_resolution", "on_hold"), ("pause_periodic_update", "pending")}
    assert "Billing" in page and 'name="target_periodic_update_1"' in page


def test_create_a_policy_with_conditions_targets_pauses_and_escalation(client, db, admin, make_group):
    billing, vip = make_group("Billing"), make_group("VIP desk")
    response = client.post("/admin/sla/policies/new", data=policy_form(
        priorities=["3", "4"], channels=["email", "web"], group_ids=[str(billing.id)],
        plans="Enterprise, Business", segment_tags="EMEA, key account", tags="Outage",
        raise_priority="y", reassign_group_id=str(vip.id), pause_first_reply=[]))
    assert response.status_code == 303
    policy = db.session.scalar(db.select(SlaPolicy))
    assert policy.name == "Enterprise" and policy.active and policy.warn_minutes == 20 and policy.position == 0
    assert targets_of(policy) == [("first_reply", 3, 60, True), ("first_reply", 4, 30, True),
                                  ("resolution", 4, 480, False)]
    assert policy.conditions == {"priorities": [3, 4], "plans": ["Enterprise", "Business"],
                                 "segment_tags": ["emea", "key-account"], "group_ids": [billing.id],
                                 "channels": ["email", "web"], "tags": ["outage"]}
    assert policy.pause_statuses == {"first_reply": [], "next_reply": ["pending"],
                                     "resolution": ["pending", "on_hold"], "periodic_update": []}
    assert policy.escalation == {"notify_assignee": True, "notify_group": True, "raise_priority": True,
                                 "reassign_group_id": vip.id}
    # Which tickets it matches changed, so the engine looks at every open ticket again.
    job = db.session.scalar(db.select(JobRecord).where(JobRecord.name == "sla.recompute_after_config"))
    assert job.args == [None, None] and job.status == "done"

    page = client.get(f"/admin/sla/policies/{policy.id}").get_data(as_text=True)
    assert re.search(r'name="target_first_reply_4"[^>]* value="0:30"', page)
    assert 'value="Enterprise, Business"' in page
    listing = client.get("/admin/sla/policies/").get_data(as_text=True)
    assert "Enterprise" in listing and "Billing" in listing


def test_edit_replaces_targets(client, db, admin):
    assert client.post("/admin/sla/policies/new", data=policy_form()).status_code == 303
    policy = db.session.scalar(db.select(SlaPolicy))
    response = client.post(f"/admin/sla/policies/{policy.id}", data=policy_form(
        name="Enterprise 24/7", target_first_reply_3="", target_resolution_4="2:00", business_resolution_4="y",
        target_next_reply_2="45", active=None))
    assert response.status_code == 303
    db.session.expire_all()
    assert policy.name == "Enterprise 24/7" and not policy.active
    assert targets_of(policy) == [("first_reply", 4, 30, True), ("next_reply", 2, 45, False),
                                  ("resolution", 4, 120, True)]


def make_policies(db, *names):
    rows = [SlaPolicy(name=n, position=i, targets=[SlaTarget(priority=2, metric="resolution", minutes=60)])
            for i, n in enumerate(names)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def order(db):
    return [p.name for p in db.session.scalars(db.select(SlaPolicy).order_by(SlaPolicy.position))]


def test_reorder_and_delete(client, db, admin):
    gold, silver, bronze = make_policies(db, "Gold", "Silver", "Bronze")
    assert client.post(f"/admin/sla/policies/{bronze.id}/move", data={"direction": "up"}).status_code == 303
    assert order(db) == ["Gold", "Bronze", "Silver"]
    assert client.post(f"/admin/sla/policies/{gold.id}/move", data={"direction": "down"}).status_code == 303
    assert order(db) == ["Bronze", "Gold", "Silver"]
    # Already at the top: nothing moves.
    assert client.post(f"/admin/sla/policies/{bronze.id}/move", data={"direction": "up"}).status_code == 303
    assert order(db) == ["Bronze", "Gold", "Silver"]
    assert client.post(f"/admin/sla/policies/{gold.id}/move", data={"direction": "sideways"}).status_code == 400
    assert order(db) == ["Bronze", "Gold", "Silver"]
    listing = client.get("/admin/sla/policies/").get_data(as_text=True)
    assert listing.index("Bronze") < listing.index("Gold") < listing.index("Silver")

    assert client.post(f"/admin/sla/policies/{gold.id}/delete").status_code == 303
    assert order(db) == ["Bronze", "Silver"]
    assert [p.position for p in db.session.scalars(db.select(SlaPolicy).order_by(SlaPolicy.position))] == [0, 1]
    assert db.session.scalar(db.select(db.func.count(SlaTarget.id))) == 2
    assert client.post("/admin/sla/policies/9999/delete").status_code == 404
    assert client.post("/admin/sla/policies/9999/move", data={"direction": "up"}).status_code == 404


@pytest.mark.parametrize("overrides, message", [
    ({"target_first_reply_4": "", "target_first_reply_3": "", "target_resolution_4": ""}, "at least one target"),
    ({"target_first_reply_4": "0"}, "more than zero"),
    ({"target_first_reply_4": "-15"}, "more than zero"),
    ({"target_resolution_4": "soon"}, "not a duration"),
    ({"target_resolution_4": "1:99"}, "not a duration"),
    ({"name": "gold"}, "already exists"),
    ({"name": ""}, "Enter a name"),
    ({"warn_minutes": "-5"}, "warning time"),
    ({"group_ids": ["9999"]}, "does not exist"),
    ({"reassign_group_id": "9999"}, "does not exist"),
    ({"pause_resolution": ["open"]}, "Only pending and on hold"),
    ({"priorities": ["9"]}, "Unknown priority"),
    ({"channels": ["fax"]}, "Unknown channel"),
])
def test_bad_policies_are_refused_and_store_nothing(client, db, admin, count, overrides, message):
    [gold] = make_policies(db, "Gold")
    before = (count(SlaPolicy), count(SlaTarget), count(JobRecord))
    response = client.post("/admin/sla/policies/new", data=policy_form(**overrides))
    assert response.status_code in (400, 422)
    assert message in response.get_data(as_text=True)
    assert (count(SlaPolicy), count(SlaTarget), count(JobRecord)) == before

    if overrides.get("name") == "gold":
        return
    response = client.post(f"/admin/sla/policies/{gold.id}", data=policy_form(name="Gold", **{
        k: v for k, v in overrides.items() if k != "name"}) if "name" not in overrides else policy_form(**overrides))
    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert gold.name == "Gold" and targets_of(gold) == [("resolution", 2, 60, True)]
    assert count(JobRecord) == before[2]


def test_non_numeric_group_choice_is_a_bad_request(client, db, admin, count):
    response = client.post("/admin/sla/policies/new", data=policy_form(group_ids=["billing"]))
    assert response.status_code == 400
    assert count(SlaPolicy) == 0


SLA_ADMIN_PAGES = ["/admin/sla/policies/", "/admin/sla/policies/new", "/admin/sla/policies/{policy}",
                   "/admin/sla/calendars/", "/admin/sla/calendars/new", "/admin/sla/calendars/{calendar}"]
SLA_ADMIN_POSTS = ["/admin/sla/policies/new", "/admin/sla/policies/{policy}", "/admin/sla/policies/{policy}/move",
                   "/admin/sla/policies/{policy}/delete", "/admin/sla/calendars/new",
                   "/admin/sla/calendars/{calendar}", "/admin/sla/calendars/{calendar}/delete",
                   "/admin/sla/calendars/groups"]


@pytest.fixture
def sla_rows(db, make_calendar):
    [policy] = make_policies(db, "Gold")
    return {"policy": policy.id, "calendar": make_calendar("Office", is_default=True).id}


@pytest.mark.parametrize("role", [None, "customer", "agent", "csm"])
def test_only_admins_reach_the_sla_pages(client, db, make_user, login, sla_rows, count, role):
    if role:
        login(make_user(role))
    for path in SLA_ADMIN_PAGES:
        response = client.get(path.format(**sla_rows))
        if role is None:
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
        else:
            assert response.status_code == 403, path
    for path in SLA_ADMIN_POSTS:
        response = client.post(path.format(**sla_rows), data={"name": "Taken over", "direction": "down"})
        assert response.status_code == (302 if role is None else 403), path
    assert count(SlaPolicy) == 1 and db.session.get(SlaPolicy, sla_rows["policy"]).name == "Gold"


def test_admin_home_links_to_policies_and_calendars(client, admin):
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/sla/policies/"' in page and 'href="/admin/sla/calendars/"' in page


def test_every_sla_form_carries_a_csrf_token(client, db, admin, sla_rows, csrf_enabled, csrf_token, count):
    for path in SLA_ADMIN_PAGES[:1] + SLA_ADMIN_PAGES[1:]:
        page = client.get(path.format(**sla_rows))
        forms = page.get_data(as_text=True).count('method="post"')
        assert forms and page.get_data(as_text=True).count('name="csrf_token"') >= forms, path
    # Without the token nothing happens.
    response = client.post("/admin/sla/policies/new", data=policy_form(name="Forged"))
    assert response.status_code == 400
    response = client.post(f"/admin/sla/policies/{sla_rows['policy']}/delete")
    assert response.status_code == 400
    assert count(SlaPolicy) == 1
    token = csrf_token(client.get("/admin/sla/policies/new"))
    response = client.post("/admin/sla/policies/new", data=policy_form(name="Real", csrf_token=token))
    assert response.status_code == 303
    assert count(SlaPolicy) == 2
