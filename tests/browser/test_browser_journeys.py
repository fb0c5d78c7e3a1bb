"""The main journeys in a real browser: forms, CSRF tokens, cookies and redirects together."""

import re

import pytest
from playwright.sync_api import expect

from app.models import OutboundMail, Ticket

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


def sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_customer_submits_a_request_and_sees_its_number(page, db):
    page.goto("/")
    page.get_by_role("link", name="Submit a request").first.click()
    page.get_by_label("Your name").fill("Ana Lima")
    page.get_by_label("Your e-mail address").fill("ana@acme.example")
    page.get_by_label("Subject").fill("Export is empty")
    page.get_by_label("How can we help?").fill("The CSV export has no rows since Monday.")
    page.get_by_role("button", name="Send the request").click()

    expect(page.locator("h1")).to_contain_text("we received your request")
    number = re.search(r"#(\d+)", page.locator(".ticket-number").inner_text()).group(1)
    ticket = db.session.get(Ticket, int(number))
    assert ticket.subject == "Export is empty" and ticket.requester.email == "ana@acme.example"


def test_admin_creates_an_agent_who_gets_a_set_password_mail(page, db, make_user):
    make_user("admin", email="boss@tandem.example")
    sign_in(page, "boss@tandem.example")
    expect(page.locator("h1")).to_have_text("Administration")

    page.get_by_role("link", name="Users and roles").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("E-mail").fill("ivan@tandem.example")
    page.get_by_label("Name").fill("Ivan")
    page.get_by_label("Role").select_option("agent")
    page.get_by_role("button", name="Create the user").click()
    expect(page.locator(".flash")).to_contain_text("sent a link to set a password")

    page.goto("/admin/")
    page.get_by_role("link", name="Outbox").click()
    expect(page.get_by_text("ivan@tandem.example").first).to_be_visible()
    mail = db.session.scalars(db.select(OutboundMail)).one()
    assert mail.to_addr == "ivan@tandem.example" and "/password/set/" in mail.body_text


def test_agent_signs_in_and_sees_the_ticket_in_the_queue(page, make_user, make_ticket):
    make_user("agent", email="ivan@tandem.example")
    ticket = make_ticket(requester=make_user("customer", email="ana@acme.example", password=None))
    sign_in(page, "ivan@tandem.example")
    expect(page).to_have_url(re.compile(r"/agent/$"))
    row = page.get_by_role("row").filter(has_text=f"#{ticket.id}")
    expect(row).to_contain_text("Export is empty")
    row.get_by_role("link", name="Export is empty").click()
    expect(page.locator("h1")).to_contain_text(f"#{ticket.id}")


def test_customer_switches_to_russian_and_writes_in_it(page, db):
    from pathlib import Path

    from babel.messages.pofile import read_po

    with open(Path(__file__).resolve().parents[2] / "app/translations/ru/LC_MESSAGES/messages.po", "rb") as fh:
        ru = read_po(fh)
    page.goto("/tickets/new")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text(ru.get("Submit a request").string)
    # The choice holds on the next pages, and the form is sent in Russian.
    page.get_by_label(ru.get("Your name").string).fill("Иван Петров")
    page.get_by_label(ru.get("Your e-mail address").string).fill("ivan@example.ru")
    page.get_by_label(ru.get("Subject").string).fill("Выгрузка пустая")
    page.get_by_label(ru.get("How can we help?").string).fill("С понедельника выгрузка CSV без строк.")
    page.get_by_role("button", name=ru.get("Send the request").string).click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    mail = db.session.query(OutboundMail).filter_by(to_addr="ivan@example.ru").one()
    assert mail.subject.startswith(ru.get("We received your request").string)
