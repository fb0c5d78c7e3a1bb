"""The playbook, start, run and task pages, as a CSM, an agent (read only) and a customer would use them."""

import re

import pytest
from sqlalchemy import func, select

from app.models.playbooks import CsmTask, Playbook, PlaybookRun, PlaybookStep


def text(response):
    return response.get_data(as_text=True)


def flashes(client):
    with client.session_transaction() as session:
        return [m for _, m in session.get("_flashes", [])]


@pytest.fixture
def topic(db, make_account, make_ticket):
    from app.models.success import Topic

    topic = Topic(label="CSV export is empty", status="active", trend="rising", size=1)
    db.session.add(topic)
    db.session.commit()
    hit = make_account("Hit", contacts=("ana",), plan="pro", mrr=900)
    make_account("Neighbour", contacts=("ned",), plan="pro", mrr=500)
    make_account("Stranger", contacts=(), plan="basic")
    make_ticket(organization_id=hit.id, topic_id=topic.id)
    return topic


def test_a_csm_builds_a_playbook_from_the_pages(db, client, login, csm):
    login(csm)
    response = client.post("/success/playbooks/new", data={"name": "Export outreach", "objective": "none",
                                                          "objective_days": "30", "reenrol_days": "60",
                                                          "max_runs_per_account": "2"})
    assert response.status_code == 302
    playbook = db.session.scalars(select(Playbook)).one()
    url = f"/success/playbooks/{playbook.id}"
    response = client.post(f"{url}/status", data={"status": "active"})
    assert "no steps cannot be activated" in " ".join(flashes(client))
    client.get(url)
    response = client.post(f"{url}/steps", data={"kind": "call", "title": "Call", "delay_days": "-2"})
    assert response.status_code == 302 and "cannot be negative" in " ".join(flashes(client))
    client.get(url)
    assert db.session.scalar(select(func.count(PlaybookStep.id))) == 0
    client.post(f"{url}/steps", data={"kind": "email", "subject": "Hi {{ account.name }}",
                                      "body": "Hello {{ contact.first_name }}", "delay_days": "0",
                                      "hold_for_review": "1", "owner_rule": "account_csm"})
    client.post(f"{url}/steps", data={"kind": "call", "title": "Call the admin", "delay_days": "3",
                                      "owner_rule": "user", "owner_email": "csm@example.com"})
    client.post(f"{url}/status", data={"status": "active"})
    client.post(f"{url}/triggers", data={"kind": "topic_rising", "audience": "at_risk"})
    page = text(client.get(url))
    assert "Call the admin" in page and "held for review" in page and "A topic is rising" in page
    assert "day 3, hour 0 after enrolment" in page
    db.session.expire_all()
    assert playbook.status == "active" and [s.kind for s in playbook.steps] == ["email", "call"]
    step = playbook.steps[1]
    response = client.post(f"{url}/steps/{step.id}", data={"kind": "call", "title": "", "delay_days": "1"})
    assert response.status_code == 422 and "Say what has to be done" in text(response)
    client.post(f"{url}/steps/{step.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert [s.kind for s in playbook.steps] == ["call", "email"]


def test_start_page_lists_affected_or_at_risk_accounts_and_enrols_them(db, client, login, csm, topic,
                                                                      make_playbook):
    playbook = make_playbook(name="Recurring topic outreach")
    login(csm)
    page = text(client.get(f"/success/playbooks/start?topic_id={topic.id}&accounts=affected"))
    assert "Hit" in page and "Neighbour" not in page and "CSV export is empty" in page
    page = text(client.get(f"/success/playbooks/start?topic_id={topic.id}&accounts=at_risk"))
    assert "Neighbour" in page and "Hit" not in page and "Stranger" not in page
    neighbour = re.search(r'name="org_ids" value="(\d+)"', page).group(1)
    response = client.post(f"/success/playbooks/start?topic_id={topic.id}&accounts=at_risk",
                           data={"playbook_id": str(playbook.id), "org_ids": [neighbour]})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/success/playbooks/{playbook.id}#runs")
    run = db.session.scalars(select(PlaybookRun)).one()
    assert (run.organization_id, run.topic_id, run.source) == (int(neighbour), topic.id, "manual")
    # Enrolling again is refused with a reason, not a second run.
    client.post(f"/success/playbooks/start?topic_id={topic.id}&accounts=at_risk",
                data={"playbook_id": str(playbook.id), "org_ids": [neighbour]})
    assert "already in this playbook" in " ".join(flashes(client))
    assert db.session.scalar(select(func.count(PlaybookRun.id))) == 1


def test_start_page_without_accounts_offers_to_choose_them(db, client, login, csm, topic):
    login(csm)
    page = text(client.get("/success/playbooks/start"))
    assert "Which accounts?" in page and "Neighbour" in page
    assert client.post("/success/playbooks/start", data={}).status_code == 400


@pytest.mark.parametrize("query, status", [
    ("?topic_id=9999", 404), ("?organization_id=9999", 404), ("?segment_id=9999", 404),
    ("?topic_id={topic}&accounts=everyone", 400),
])
def test_start_page_bad_queries(db, client, login, csm, topic, query, status):
    login(csm)
    assert client.get("/success/playbooks/start" + query.format(topic=topic.id)).status_code == status


def test_start_page_refuses_a_missing_playbook_or_foreign_accounts(db, client, login, csm, topic, make_playbook):
    make_playbook()
    login(csm)
    url = f"/success/playbooks/start?topic_id={topic.id}&accounts=affected"
    response = client.post(url, data={"org_ids": ["1"]})
    assert response.status_code == 400 and "Choose a playbook" in text(response)
    playbook_id = db.session.scalar(select(Playbook.id))
    response = client.post(url, data={"playbook_id": playbook_id, "org_ids": ["999"]})
    assert response.status_code == 400 and "Choose at least one" in text(response)
    assert db.session.scalar(select(func.count(PlaybookRun.id))) == 0


def test_start_for_one_account_and_for_a_segment(db, client, login, csm, make_account, make_playbook):
    from app.models.health import Segment

    pro = [make_account(f"Pro {i}", contacts=(), plan="pro") for i in range(3)]
    make_account("Basic", contacts=(), plan="basic")
    segment = Segment(name="Pro accounts", filters={"plans": ["pro"]})
    db.session.add(segment)
    db.session.commit()
    playbook = make_playbook()
    login(csm)
    page = text(client.get(f"/success/playbooks/start?segment_id={segment.id}&playbook_id={playbook.id}"))
    assert page.count('name="org_ids"') == 3 and "Pro accounts" in page
    client.post(f"/success/playbooks/start?segment_id={segment.id}",
                data={"playbook_id": playbook.id, "org_ids": [str(o.id) for o in pro]})
    assert {r.source for r in db.session.scalars(select(PlaybookRun))} == {"segment"}
    other = make_playbook(name="Second")
    client.post(f"/success/playbooks/start?organization_id={pro[0].id}",
                data={"playbook_id": other.id, "org_ids": [str(pro[0].id)]})
    assert db.session.scalar(select(func.count(PlaybookRun.id)).where(PlaybookRun.playbook_id == other.id)) == 1


def test_run_page_shows_progress_and_its_buttons_work(db, client, login, csm, make_account, make_playbook, enrol,
                                                      run_jobs, now):
    org = make_account("Acme", contacts=())
    playbook = make_playbook(steps=[{"kind": "task", "title": "Kick-off call"},
                                    {"kind": "task", "title": "Check adoption", "delay_days": 7}])
    enrol(playbook, [org], now)
    run_jobs()
    run = db.session.scalars(select(PlaybookRun)).one()
    login(csm)
    page = text(client.get(f"/success/runs/{run.id}"))
    assert "Progress: 0 of 2 steps" in page and "Kick-off call" in page and "with a person" in page
    task = db.session.scalars(select(CsmTask)).one()
    home = text(client.get("/success/tasks"))
    assert "Kick-off call" in home and "Acme" in home
    client.post(f"/success/tasks/{task.id}/complete", data={"note": "Went well", "next": f"/success/runs/{run.id}"})
    page = text(client.get(f"/success/runs/{run.id}"))
    assert "Progress: 1 of 2 steps" in page and "Went well" in page
    client.post(f"/success/runs/{run.id}/action", data={"action": "pause"})
    assert "paused" in text(client.get(f"/success/runs/{run.id}"))
    response = client.post(f"/success/runs/{run.id}/action", data={"action": "explode"})
    assert response.status_code == 303
    client.post(f"/success/runs/{run.id}/action", data={"action": "stop"})
    db.session.expire_all()
    assert run.status == "stopped"
    response = client.post(f"/success/runs/{run.id}/action", data={"action": "resume"})
    assert "Only a paused run" in " ".join(flashes(client))


def test_playbook_page_shows_outcomes_and_its_chart_data(db, client, login, csm, make_account, make_playbook,
                                                        enrol, now):
    orgs = [make_account(f"Org {i}", contacts=(), plan="pro") for i in range(3)]
    playbook = make_playbook(steps=[{"kind": "wait"}])
    enrol(playbook, orgs[:2], now)
    from app.success.playbooks.runs import advance_due_runs

    advance_due_runs(now)
    db.session.commit()
    login(csm)
    response = client.get(f"/success/playbooks/{playbook.id}")
    page = text(response)
    assert response.status_code == 200, page[-3000:]
    assert re.search(r'id="pb-started">2<', page) and re.search(r'id="pb-completed">2<', page)
    assert "data-chart=" in page and "js/success_charts.js" in page and "<script>" not in page
    assert "against 1 comparable accounts" in page


def test_agents_read_but_cannot_change_and_customers_are_refused(db, client, login, make_user, make_playbook,
                                                                 make_account, enrol, now, run_jobs):
    playbook = make_playbook()
    enrol(playbook, [make_account("Acme", contacts=())], now)
    run_jobs()
    task = db.session.scalars(select(CsmTask)).one()
    agent = make_user("agent", email="agent@example.com")
    login(agent)
    assert client.get("/success/playbooks").status_code == 200
    page = text(client.get(f"/success/playbooks/{playbook.id}"))
    assert "Add a step" not in page and "Activate" not in page
    for url in (f"/success/playbooks/{playbook.id}/status", f"/success/tasks/{task.id}/complete",
                "/success/playbooks/new"):
        assert client.post(url, data={"status": "archived"}).status_code == 403
    db.session.expire_all()
    assert playbook.status == "active" and task.status == "open"
    client.post("/logout")
    login(make_user("customer", email="cust@acme.example"))
    assert client.get("/success/tasks").status_code == 403


def test_forms_need_a_csrf_token(db, client, login, csm, make_playbook, csrf_enabled):
    playbook = make_playbook(status="draft")
    login_page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(login_page)).group(1)
    client.post("/login", data={"email": csm.email, "password": "correct-horse-battery", "csrf_token": token})
    response = client.post(f"/success/playbooks/{playbook.id}/status", data={"status": "archived"})
    assert response.status_code == 400
    db.session.expire_all()
    assert playbook.status == "draft"
