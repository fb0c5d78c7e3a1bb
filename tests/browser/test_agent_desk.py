"""The agent desk in a real browser: filter, save a view, apply a macro with preview, and two agents
editing one ticket. Screenshots of the main pages go to $BROWSER_SCREENSHOTS (else a temp dir)."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.models import Macro, SavedView, Ticket
from tests.conftest import BROWSER_TIMEOUT_MS

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("agent-desk-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page, name):
        path = folder / f"agent-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    return shot


def sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))


@pytest.fixture
def desk(db, make_user, make_org, make_group, make_ticket, now):
    from datetime import timedelta

    agent = make_user("agent", email="ivan@tandem.example", name="Ivan Petrov")
    org = make_org("Acme", plan="enterprise", mrr=1250)
    ana = make_user("customer", email="ana@acme.example", name="Ana Lima", organization=org, password=None)
    make_group("Billing")
    urgent = make_ticket(ana, subject="Card charged twice", priority="urgent", due_at=now - timedelta(minutes=20))
    make_ticket(ana, subject="How do I export?", priority="low", due_at=now + timedelta(hours=5))
    make_ticket(ana, subject="Change my plan", priority="normal")
    db.session.add(Macro(name="Refund issued", public=True,
                         body="Hi {{ requester.first_name }}, the refund for #{{ ticket.number }} is on its way.",
                         actions={"status": "pending", "add_tags": ["refund"], "group": "Billing"}))
    db.session.commit()
    return {"agent": agent, "urgent": urgent}


def test_agent_filters_saves_a_view_and_applies_a_macro_with_preview(page, desk, db, shots):
    sign_in(page, "ivan@tandem.example")
    expect(page.get_by_role("row")).to_have_count(4)  # header + three tickets

    page.get_by_text("Filter and sort").click()
    page.locator("input[name=priority][value=urgent]").check()
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Card charged twice")

    page.get_by_text("Save as a view").click()
    page.get_by_label("View name").fill("Urgent ones")
    page.get_by_role("button", name="Save the view").click()
    expect(page.locator(".flash")).to_contain_text("View “Urgent ones” saved.")
    current = page.locator('ul.views a[aria-current="page"]')
    expect(current).to_contain_text("Urgent ones")
    expect(current.locator(".count")).to_have_text("1")
    # The form started from the default view, so its filters stay and urgent narrows them.
    assert db.session.scalars(db.select(SavedView)).one().filters == {
        "status": ["new", "open"], "priority": ["urgent"], "assignee": "none_or_me"}
    shots(page, "queue")

    page.get_by_role("link", name=re.compile("Card charged twice")).click()
    expect(page.locator("h1")).to_contain_text("Card charged twice")
    expect(page.get_by_text("enterprise")).to_be_visible()
    shots(page, "ticket")

    page.get_by_label("Macro", exact=True).select_option(label="Refund issued")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".macro-preview")
    expect(preview).to_contain_text("Preview: Refund issued")
    expect(preview).to_contain_text("Status: New → Pending")
    expect(preview.get_by_label("Text to send")).to_have_value(
        f"Hi Ana, the refund for #{desk['urgent'].id} is on its way.")
    shots(page, "macro-preview")
    preview.get_by_role("button", name="Send and apply").click()

    expect(page.locator(".flash")).to_contain_text("Macro “Refund issued” applied.")
    expect(page.locator("article.message.staff-reply")).to_contain_text("the refund for")
    db.session.expire_all()
    ticket = db.session.get(Ticket, desk["urgent"].id)
    assert (ticket.status, ticket.tag_names, ticket.group.name) == ("pending", ["refund"], "Billing")


def test_two_agents_edit_one_ticket_and_the_second_is_warned(browser, live_server, page, desk, make_user, db,
                                                             shots):
    make_user("agent", email="olga@tandem.example", name="Olga")
    ticket_url = f"/agent/tickets/{desk['urgent'].id}"
    sign_in(page, "ivan@tandem.example")
    page.goto(ticket_url)

    other_context = browser.new_context(base_url=live_server)
    other_context.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        other = other_context.new_page()
        sign_in(other, "olga@tandem.example")
        other.goto(ticket_url)
        other.get_by_label("Priority").select_option("high")
        other.get_by_role("button", name="Save changes").click()
        expect(other.locator(".flash")).to_contain_text("Ticket updated.")
    finally:
        other_context.close()

    # Ivan's page is stale: his save is refused with what Olga changed.
    page.get_by_label("Status").select_option("solved")
    page.get_by_role("button", name="Save changes").click()
    warning = page.locator(".conflict")
    expect(warning).to_contain_text("Someone else changed this ticket since you opened it")
    expect(warning).to_contain_text("Olga changed Priority: Urgent → High")
    expect(warning).to_contain_text("Status: Solved")
    shots(page, "conflict")
    db.session.expire_all()
    ticket = db.session.get(Ticket, desk["urgent"].id)
    assert (ticket.status, ticket.priority_name) == ("new", "high")


def test_queue_on_a_phone_and_with_the_keyboard(browser, live_server, desk, csrf_enabled, shots):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, "ivan@tandem.example")
        expect(page.locator("table.queue thead")).to_be_hidden()
        expect(page.locator("table.queue tbody tr").first).to_be_visible()
        shots(page, "queue-phone")
        page.keyboard.press("j")
        expect(page.locator("a.ticket-link").first).to_be_focused()
        page.keyboard.press("x")
        expect(page.locator("input[name=ticket_ids]").first).to_be_checked()
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text("Card charged twice")
    finally:
        context.close()
