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


def test_language_switcher_is_remembered_on_the_next_pages(client):
    page = client.get("/?lang=ja").get_data(as_text=True)
    assert '<strong lang="ja" aria-current="true">日本語</strong>' in page
    assert 'href="/?lang=ru"' in page and ">Русский</a>" in page
    # The choice sticks without ?lang=, over the browser's language, and an unknown code is ignored.
    later = client.get("/kb/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="ja">' in later and _translation("ja", "Knowledge base") in later
    assert '<html lang="ja">' in client.get("/kb/?lang=xx").get_data(as_text=True)
    # Links keep the page's own arguments.
    search = client.get("/kb/search", query_string={"q": "refund", "lang": "bg"}).get_data(as_text=True)
    assert 'href="/kb/search?q=refund&amp;lang=zh-Hant"' in search


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
