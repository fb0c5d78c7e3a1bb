"""The customer's journey in Debian's chromium: submit with a file, follow the answer, rate it."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import CsatResponse, OutboundMail, Ticket, User
from app.support.services import add_message, assign_ticket, change_status
from tests.desk_customer.conftest import PNG

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a-long-new-password"


@pytest.fixture
def shot(tmp_path):
    """shot(page, name): a full-page screenshot for the test report (BROWSER_SCREENSHOTS, else a temp dir)."""
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=str(folder / f"customer-{name}.png"), full_page=True)


def link_in(db, kind, pattern):
    mail = db.session.scalars(select(OutboundMail).where(OutboundMail.kind == kind)).one()
    return re.search(pattern, mail.body_text).group(0).removeprefix("http://tandem.test")


def test_customer_submits_follows_the_answer_without_the_note_and_rates_it(page, db, make_user, run_jobs, shot):
    page.goto("/")
    page.get_by_role("link", name="Submit a request").first.click()
    page.get_by_label("Your name").fill("Ana Lima")
    page.get_by_label("Your e-mail address").fill("ana@acme.example")
    page.get_by_label("Subject").fill("Export is empty")
    page.get_by_label("How can we help?").fill("The CSV export has no rows since Monday.")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "empty-export.png", "mimeType": "image/png", "buffer": PNG}])
    shot(page, "1-request-form")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator("h1")).to_contain_text("we received your request")
    number = int(re.search(r"#(\d+)", page.locator(".ticket-number").inner_text()).group(1))
    shot(page, "2-request-received")

    # The agent side, through the services: a public reply, an internal note, then solved.
    db.session.expire_all()
    ticket = db.session.get(Ticket, number)
    assert [a.filename for a in ticket.messages[0].attachments] == ["empty-export.png"]
    agent = make_user("agent", name="Ivan Agent")
    assign_ticket(ticket, agent, agent)
    add_message(ticket, agent, "We fixed the export filter, please try again.", public=True)
    add_message(ticket, agent, "Root cause: the plan lapsed, do not tell the customer.", public=False)
    change_status(ticket, agent, "solved")
    db.session.commit()
    run_jobs()

    # The customer sets a password with the link from the first e-mail and lands in the portal.
    page.goto(link_in(db, "ticket_received", r"http://tandem.test/password/set/\S+"))
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Repeat").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    expect(page.locator("h1")).to_have_text("My requests")
    shot(page, "3-portal")
    page.get_by_role("link", name="Export is empty").click()
    expect(page.get_by_text("We fixed the export filter, please try again.")).to_be_visible()
    expect(page.get_by_role("link", name="empty-export.png")).to_be_visible()
    expect(page.get_by_text("Root cause")).to_have_count(0)
    expect(page.get_by_text("Internal note")).to_have_count(0)
    shot(page, "4-portal-ticket")

    # One click on "good" in the solved e-mail records it; the comment is optional.
    page.goto(link_in(db, "ticket_solved", r"http://tandem.test/csat/\S+(?=\s)"))
    expect(page.get_by_role("status")).to_have_text("You rated our support: good.")
    shot(page, "5-csat")
    page.get_by_label("Anything you would like to tell us? (optional)").fill("Quick and clear, thanks!")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("h1")).to_have_text("Thank you!")
    db.session.expire_all()
    answer = db.session.scalars(select(CsatResponse)).one()
    assert (answer.rating, answer.comment, answer.agent_id) == ("good", "Quick and clear, thanks!", agent.id)
    assert db.session.scalar(select(User.password_hash).where(User.email == "ana@acme.example"))
