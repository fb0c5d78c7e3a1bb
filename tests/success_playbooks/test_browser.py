"""In a real browser: a CSM opens a rising topic, starts the outreach playbook for the accounts at
risk, completes the task it gives them, and sees the run move on. Screenshots (desktop and phone)
go to $BROWSER_SCREENSHOTS, else a temporary folder."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models.playbooks import PlaybookRun

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("playbook-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page, name):
        for label, size in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
            page.set_viewport_size(size)
            page.screenshot(path=str(folder / f"playbook-{name}-{label}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    return shot


@pytest.fixture
def story(db, csm, make_account, make_ticket, make_playbook):
    from app.models.success import Topic

    topic = Topic(label="CSV export is empty", terms=["export", "csv"], terms_by_language={}, status="active",
                  trend="rising", size=2, weekly_counts=[{"week": "2026-11-09", "count": 0},
                                                         {"week": "2026-11-16", "count": 2}])
    db.session.add(topic)
    db.session.commit()
    hit = make_account("Northwind", contacts=("ana",), plan="pro", mrr=1200)
    make_account("Contoso", contacts=("carl",), plan="pro", mrr=800)
    make_account("Fabrikam", contacts=("fay",), plan="basic", mrr=300)
    for subject in ("Export is empty", "CSV export has no rows"):
        make_ticket(subject=subject, organization_id=hit.id, topic_id=topic.id)
    playbook = make_playbook(name="Recurring topic outreach", steps=[
        {"kind": "call", "title": "Call about the export fix"},
        {"kind": "task", "title": "Check their exports work", "delay_days": 7},
    ])
    return {"topic": topic, "playbook": playbook}


def test_csm_starts_outreach_from_a_rising_topic_and_completes_a_task(page, story, db, shots):
    page.goto("/login")
    page.get_by_label("E-mail").fill("csm@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))

    page.goto(f"/success/topics/{story['topic'].id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("CSV export is empty")
    page.get_by_role("link", name="Start a playbook for at-risk accounts").click()

    expect(page.get_by_role("heading", name="Start a playbook")).to_be_visible()
    expect(page.get_by_label("Contoso")).to_be_checked()  # same plan as Northwind, not yet affected
    expect(page.get_by_text("Fabrikam")).to_have_count(0)
    expect(page.get_by_text("Northwind")).to_have_count(0)
    shots(page, "start")
    page.get_by_label("Playbook").select_option(label="Recurring topic outreach (2 steps)")
    page.get_by_role("button", name="Enrol selected accounts").click()

    expect(page).to_have_url(re.compile(rf"/success/playbooks/{story['playbook'].id}#runs$"))
    expect(page.get_by_role("status").first).to_contain_text("1 accounts enrolled")
    expect(page.locator("#pb-started")).to_have_text("1")

    page.goto("/success/tasks")
    task = page.locator(".pb-task", has_text="Call about the export fix")
    expect(task).to_contain_text("Contoso")
    shots(page, "tasks")
    task.get_by_label("Note").fill("Talked to Carl, they will update today")
    task.get_by_role("button", name="Complete").click()
    expect(page.get_by_role("status").first).to_contain_text("Task done")
    expect(page.locator(".pb-task", has_text="Call about the export fix")).to_have_count(0)

    page.goto("/success/playbooks/" + str(story["playbook"].id))
    page.get_by_role("link", name="Contoso").click()
    expect(page.get_by_text("Progress: 1 of 2 steps")).to_be_visible()
    expect(page.locator("progress")).to_have_attribute("value", "1")
    expect(page.locator(".pb-step[data-state=done]")).to_contain_text("Talked to Carl")
    shots(page, "run")
    page.goto("/success/playbooks/" + str(story["playbook"].id))
    shots(page, "playbook")
    run = db.session.scalars(select(PlaybookRun)).one()
    assert run.status == "active" and run.topic_id == story["topic"].id
