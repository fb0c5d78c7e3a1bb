"""In Debian's chromium: suggestions appear while a customer types a ticket; opening one and leaving
counts as a deflection in the staff report, and opening one then sending the request does not."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Ticket
from app.models.kb import KbDeflection
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def no_grace(app):
    # Decide deflections at once instead of after the default 30 minutes.
    app.config["KB_DEFLECTION_GRACE_MINUTES"] = 0
    yield
    app.config.pop("KB_DEFLECTION_GRACE_MINUTES")


def type_a_request(page, subject):
    page.goto("/tickets/new")
    page.get_by_label("Subject").press_sequentially(subject, delay=20)
    suggestions = page.locator("#kb-suggestions")
    # Generous: the first search of a process loads the encoders (seconds on a busy machine).
    expect(suggestions).to_be_visible(timeout=60_000)
    link = suggestions.get_by_role("link", name="Refunds for cancelled orders")
    expect(link).to_be_visible()
    return link


def test_suggestion_opened_then_left_is_a_deflection(page, browser, live_server, faq, db, make_user, no_grace):
    # Visit 1: the customer opens the suggested article (a new tab) and leaves without writing.
    link = type_a_request(page, "Refund for my cancelled order")
    expect(page.locator("#kb-suggestions")).not_to_contain_text("Refund override")  # internal: never
    with page.context.expect_page() as opened:
        link.click()
    article = opened.value
    expect(article.locator("h1")).to_have_text("Refunds for cancelled orders")
    article.close()
    page.goto("/")  # leaves the form

    # Visit 2 (another tab): opens the same suggestion, then sends the request anyway.
    second = page.context.new_page()
    link = type_a_request(second, "Refund for my cancelled order please")
    with second.context.expect_page() as opened:
        link.click()
    opened.value.close()
    second.get_by_label("Your name").fill("Ana Lima")
    second.get_by_label("Your e-mail address").fill("ana@acme.example")
    second.get_by_label("How can we help?").fill("I cancelled order 1234 two weeks ago and have no refund yet.")
    second.get_by_role("button", name="Send the request").click()
    expect(second.locator("h1")).to_contain_text("we received your request")

    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(Ticket.id))) == 1
    visits = db.session.scalars(select(KbDeflection).order_by(KbDeflection.id)).all()
    assert [(v.opened_article_id is not None, v.submitted_at is not None) for v in visits] == [
        (True, False), (True, True)]

    # The staff report counts one deflection, for that article.
    agent = make_user("agent", email="kb-agent@example.com")
    staff = browser.new_context(base_url=live_server).new_page()
    staff.goto("/login")
    staff.locator("input[name=email]").fill(agent.email)
    staff.locator("input[name=password]").fill(PASSWORD)
    staff.locator("form button[type=submit]").last.click()
    staff.goto("/kb/manage/deflections")
    expect(staff.locator("#fig-deflections")).to_have_text("1")
    expect(staff.locator("#fig-opened")).to_have_text("2")
    expect(staff.get_by_text("1 then sent the request anyway")).to_be_visible()
    top = staff.locator("table").last
    expect(top).to_contain_text("Refunds for cancelled orders")
    staff.context.close()


def test_sending_the_form_stops_the_look_up_still_due_from_the_last_keystroke(page, live_server, faq, db):
    """A look-up due 300 ms after the last keystroke used to fire while a slow POST was leaving
    the page, under a new visit token: a visit that never happened."""
    type_a_request(page, "Refund for my cancelled order")
    page.get_by_label("Your name").fill("Ana Lima")
    page.get_by_label("Your e-mail address").fill("ana@acme.example")
    looked_up = []
    page.on("request", lambda r: looked_up.append(r.url) if "/kb/suggest?" in r.url else None)
    # The page stays (the submission is held back here) so what the script does next can be seen.
    page.evaluate("() => document.querySelector('#kb-suggestions').closest('form')"
                  ".addEventListener('submit', (event) => event.preventDefault())")
    page.get_by_label("How can we help?").press_sequentially("It has been two weeks", delay=10)
    page.evaluate("() => document.querySelector('#kb-suggestions').closest('form').requestSubmit()")
    page.wait_for_timeout(800)
    assert looked_up == []
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(KbDeflection.id))) == 1  # the one visit, no second


def test_agent_inserts_a_suggested_article_as_a_link_in_the_reply(page, live_server, faq, db, make_user, make_ticket):
    ticket = make_ticket(subject="Refund for a cancelled order", body="I cancelled my order, where is my money?")
    agent = make_user("agent", email="kb-reply@example.com")
    page.goto("/login")
    page.locator("input[name=email]").fill(agent.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto(f"/agent/tickets/{ticket.id}")
    panel = page.locator("#kb-ticket-suggestions")
    first = panel.locator("li").first
    expect(first).to_contain_text("Refunds for cancelled orders", timeout=60_000)
    # Internal articles are listed for the agent but offer no link for a customer reply.
    internal = panel.locator("li", has_text="internal")
    expect(internal.get_by_role("button")).to_have_count(0)

    reply = page.locator("textarea[name=body]")
    reply.fill("Hello Ana, this explains it:")
    first.get_by_role("button", name="Insert link: Refunds for cancelled orders").click()
    url = f"{live_server}/kb/articles/{faq['refund'].id}"
    expect(reply).to_have_value(f"Hello Ana, this explains it: Refunds for cancelled orders: {url}")
    # The button sits beside the title on one line.
    title_box = first.get_by_role("link").bounding_box()
    button_box = first.get_by_role("button").bounding_box()
    assert button_box["x"] > title_box["x"] and abs(button_box["y"] - title_box["y"]) < title_box["height"]
