"""The interface in the visitor's language: catalogs, the language switcher, mail in the form's language."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.models import OutboundMail, User

CATALOGS = sorted(Path(__file__).resolve().parent.parent.glob("app/translations/*/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"%\([a-zA-Z_]+\)[sdf]")


def _catalog(code):
    with open(Path(__file__).resolve().parent.parent / f"app/translations/{code}/LC_MESSAGES/messages.po", "rb") as fh:
        return read_po(fh)


def _translation(code, msgid):
    message = _catalog(code).get(msgid)
    assert message is not None and message.string, f"{msgid!r} has no {code} translation"
    return message.string


def test_every_interface_language_has_a_catalog():
    assert {p.parts[-3] for p in CATALOGS} == {"ru", "bg", "zh_Hant", "zh_Hans", "ja"}


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_translations_keep_their_placeholders(path):
    """A placeholder the English text lacks would raise when the page is rendered."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    assert not catalog.fuzzy
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) - wanted:
                problems.append((ids[0], string))
        problems.extend((ids[0], str(error)) for error in message.check(catalog))
    assert problems == []


def test_customer_pages_follow_the_browser_language(client):
    page = client.get("/tickets/new", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert '<html lang="ru">' in page
    assert _translation("ru", "Submit a request") in page
    assert ">Submit a request<" not in page
    english = client.get("/tickets/new", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Submit a request" in english


def _links(page):
    """The language switcher's links: {code: href}."""
    found = re.findall(r'<a href="([^"]+)" lang="([^"]+)" hreflang', page)
    return {code: href.replace("&amp;", "&") for href, code in found}


def test_language_switcher_is_remembered_on_the_next_pages(client):
    page = client.get("/?lang=ja").get_data(as_text=True)
    assert '<strong lang="ja" aria-current="true">日本語</strong>' in page
    links = _links(page)
    assert set(links) == {"en", "ru", "bg", "zh-Hant", "zh-Hans"}
    # A switcher link remembers the language and comes back to the page.
    response = client.get(links["ru"])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    later = client.get("/kb/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru">' in later and _translation("ru", "Knowledge base") in later
    assert '<html lang="ru">' in client.get("/kb/?lang=xx").get_data(as_text=True)  # unknown: ignored
    assert client.get("/language/xx?next=/kb/").status_code == 404


def test_switcher_keeps_the_page_but_never_leaves_the_site(client):
    page = client.get("/kb/search?q=refund&q=card&s=tracker&lang=bg").get_data(as_text=True)
    back = client.get(_links(page)["ja"]).headers["Location"]
    assert back == "/kb/search?q=refund&q=card"  # every value kept; language and tracking dropped
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""):
        response = client.get("/language/ru", query_string={"next": target})
        assert response.headers["Location"] == "/", target


def test_switcher_links_do_not_depend_on_other_visitors(client):
    """The request form and its receipt are cached per language: their links must be the same for everyone."""
    client.post("/tickets/new?utm=evil&_external=1", headers={"Host": "evil.example"}, data={
        "name": "Eve", "email": "eve@example.com", "subject": "Hi", "body": "Planting links."})
    client.get("/tickets/new?utm=evil")
    other = client.application.test_client()
    form = other.get("/tickets/new").get_data(as_text=True)
    receipt = other.post("/tickets/new", data={
        "name": "Ann", "email": "ann@example.com", "subject": "Export", "body": "Export is empty."}).get_data(as_text=True)
    for page in (form, receipt):
        assert "evil" not in page and "utm" not in page


def test_switching_language_on_a_rating_page_does_not_rate_again(client, make_user, make_ticket, db):
    from app.support.csat import csat_url

    customer = make_user("customer")
    ticket = make_ticket(requester=customer)
    ticket.status = "solved"
    db.session.commit()
    url = csat_url(ticket, "good")
    page = client.get(url.replace("http://tandem.test", "")).get_data(as_text=True)
    links = _links(page)
    assert len(links) == 5 and all(href.endswith("?next=/") for href in links.values())


def test_queue_filters_survive_a_language_switch(client, make_user, login):
    login(make_user("agent"))
    page = client.get("/agent/?status=open&status=pending").get_data(as_text=True)
    back = client.get(_links(page)["ru"]).headers["Location"]
    assert back == "/agent/?status=open&status=pending"


def test_new_requester_gets_mail_in_the_language_of_the_form(app, client, db):
    client.get("/tickets/new?lang=bg")
    response = client.post("/tickets/new", data={
        "name": "Иван Петров", "email": "ivan@example.bg", "subject": "Фактурата липсва",
        "body": "Не виждам фактурата за миналия месец."})
    assert response.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "ivan@example.bg"))
    assert user.locale == "bg"
    mail = db.session.scalar(select(OutboundMail).where(OutboundMail.to_addr == "ivan@example.bg"))
    assert mail.subject.startswith(_translation("bg", "We received your request"))
    # A browser language Tandem does not speak is no choice: nothing is stored for the requester.
    other = app.test_client()
    other.post("/tickets/new", headers={"Accept-Language": "fr-FR"}, data={
        "name": "Jean", "email": "jean@example.fr", "subject": "Facture", "body": "La facture manque."})
    assert db.session.scalar(select(User.locale).where(User.email == "jean@example.fr")) is None


def test_staff_screens_follow_the_account_language(client, make_user, login):
    agent = make_user("agent", locale="zh-Hant")
    login(agent)
    page = client.get("/agent/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hant">' in page
    assert _translation("zh_Hant", "Queue") in page
    # The switcher still wins for the visit.
    client.get("/language/bg?next=/agent/")
    assert '<html lang="bg">' in client.get("/agent/").get_data(as_text=True)


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_catalogs_are_complete(path):
    with path.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert missing == []
