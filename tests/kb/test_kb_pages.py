"""Public help-center pages: categories, search, articles in the visitor's language, votes, views."""

import re

import pytest
from sqlalchemy import select

from app.models.kb import KbSearch, KbVote


def text(response):
    return response.get_data(as_text=True)


def test_help_center_home_lists_categories_and_popular_articles(client, faq, db):
    faq["invoice"].view_count = 50
    db.session.commit()
    page = text(client.get("/"))
    assert "Browse by topic" in page and "/kb/categories/billing" in page
    popular = page[page.index("Popular articles"):]
    assert popular.index("Download an invoice") < popular.index("Reset your password")
    assert "Refund override procedure" not in page and "gift cards" not in page


def test_kb_index_groups_articles_by_category_without_internal_or_drafts(client, faq):
    response = client.get("/kb/")
    page = text(response)
    assert response.status_code == 200
    assert "Billing" in page and "Account" in page
    assert "Refunds for cancelled orders" in page and "Reset your password" in page
    assert "Refund override procedure" not in page and "gift cards" not in page


def test_visitor_language_picks_the_translation_and_falls_back_to_english(client, faq):
    ru = text(client.get("/kb/", headers={"Accept-Language": "ru"}))
    assert "Возврат денег за отменённый заказ" in ru and "Refunds for cancelled orders" not in ru
    assert "Оплата" in ru  # the category's Russian name
    assert "Reset your password" in ru  # no Russian version: the English one is listed
    en = text(client.get("/kb/?locale=en"))
    assert "Refunds for cancelled orders" in en and "Возврат денег" not in en
    assert "Возврат денег" in text(client.get("/kb/categories/billing?locale=ru"))


def test_unknown_category_is_404(client, faq):
    assert client.get("/kb/categories/nope").status_code == 404


def test_search_page_shows_results_with_their_language(client, faq, db):
    response = client.get("/kb/search", query_string={"q": "refund for a cancelled order", "locale": "ru"})
    page = text(response)
    assert response.status_code == 200
    # Both languages are listed for a Russian searcher, each with its language shown.
    assert "Возврат денег за отменённый заказ</a>" in page and "Refunds for cancelled orders</a>" in page
    assert "русский" in page and "English" in page
    assert "Refund override procedure" not in page


def test_search_language_comes_from_accept_language_without_locale(client, faq, db):
    client.get("/kb/search?q=refund", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    client.get("/kb/search?q=refund&locale=zh_hant")
    assert [r.locale for r in db.session.scalars(select(KbSearch).order_by(KbSearch.id))] == ["ru", "zh-Hant"]


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_asks_for_a_question(client, faq, db, query):
    response = client.get(f"/kb/search?q={query}")
    assert response.status_code == 200 and "Type a question" in text(response)
    assert db.session.scalar(select(db.func.count(KbSearch.id))) == 0


def test_very_long_search_is_cut_not_refused(client, faq):
    response = client.get("/kb/search", query_string={"q": "refund " * 1500})
    assert response.status_code == 200
    assert "first 1,000 characters" in text(response)


def test_unknown_locale_gets_a_clear_400(client, faq):
    response = client.get("/kb/search?q=refund&locale=not+a+locale")
    assert response.status_code == 400 and "is not a language code" in text(response)


def test_searches_are_logged_with_results_and_clicks(client, faq, db):
    page = text(client.get("/kb/search?q=  Download   INVOICE "))
    client.get("/kb/search?q=quantum+teleportation+warranty")
    rows = db.session.scalars(select(KbSearch).order_by(KbSearch.id)).all()
    assert [(r.query, r.source, r.clicked) for r in rows] == [
        ("download invoice", "search", False), ("quantum teleportation warranty", "search", False)]
    assert rows[0].result_count >= 1 and rows[1].result_count == 0
    link = re.search(r'href="(/kb/articles/\d+\?sid=\d+)"', page).group(1)
    assert client.get(link).status_code == 200
    db.session.refresh(rows[0])
    assert rows[0].clicked and rows[0].clicked_article_id == int(link.split("/")[3].split("?")[0])


def test_article_page_counts_views_and_shows_translations(client, faq, db):
    article = faq["refund"]
    for _ in range(3):
        response = client.get(f"/kb/articles/{article.id}")
    page = text(response)
    assert response.status_code == 200
    assert "<h1>Refunds for cancelled orders</h1>" in page and "Last updated" in page
    assert "3 views" in page
    assert f'/kb/articles/{faq["refund_ru"].id}' in page and "Other languages" in page
    db.session.refresh(article)
    assert article.view_count == 3


def test_article_tags_link_to_a_search_for_them(client, make_article):
    article = make_article("Two-factor login", "Turn it on under **Settings → Security**.", tags="security, 2fa")
    page = text(client.get(f"/kb/articles/{article.id}"))
    assert '<a class="tag" href="/kb/search?q=security">security</a>' in page
    assert '<a class="tag" href="/kb/search?q=2fa">2fa</a>' in page


def test_article_suggests_the_visitors_language_version(client, faq):
    page = text(client.get(f"/kb/articles/{faq['refund'].id}", headers={"Accept-Language": "ru"}))
    assert "This article is also in русский" in page or "русский" in page
    assert f'href="/kb/articles/{faq["refund_ru"].id}"' in page


@pytest.mark.parametrize("key", ["internal", "draft"])
def test_internal_and_draft_articles_are_404_for_visitors_and_customers(client, faq, login, make_user, key):
    path = f"/kb/articles/{faq[key].id}"
    assert client.get(path).status_code == 404
    assert client.post(f"{path}/vote", data={"helpful": "yes"}).status_code == 404
    login(make_user("customer"))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("role", ["agent", "csm", "admin"])
def test_staff_read_internal_articles_without_counting_a_view(client, faq, login, make_user, db, role):
    login(make_user(role))
    page = text(client.get(f"/kb/articles/{faq['internal'].id}"))
    assert "Refund override procedure" in page and "Internal: staff only" in page
    db.session.refresh(faq["internal"])
    assert faq["internal"].view_count == 0


def test_unknown_article_is_404(client, faq):
    assert client.get("/kb/articles/999999").status_code == 404


def test_vote_with_comment_is_recorded_once_per_visitor(client, faq, db):
    article = faq["password"]
    response = client.post(f"/kb/articles/{article.id}/vote", data={"helpful": "no", "comment": "Link expired"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Thank you for your feedback" in page and "0 found this helpful, 1 did not" in page
    again = client.post(f"/kb/articles/{article.id}/vote", data={"helpful": "yes"})
    assert "already told us" in text(client.get(again.headers["Location"]))
    votes = db.session.scalars(select(KbVote)).all()
    assert [(v.helpful, v.comment) for v in votes] == [(False, "Link expired")]
    db.session.refresh(article)
    assert (article.helpful_yes, article.helpful_no) == (0, 1)


@pytest.mark.parametrize("data, message", [
    ({}, "Choose “Yes” or “No”."),
    ({"helpful": "maybe"}, "Choose “Yes” or “No”."),
    ({"helpful": "yes", "comment": "x" * 2001}, "2000"),
])
def test_bad_votes_are_refused_with_a_message(client, faq, db, data, message):
    response = client.post(f"/kb/articles/{faq['refund'].id}/vote", data=data)
    assert response.status_code == 302
    assert message in text(client.get(response.headers["Location"]))
    assert db.session.scalar(select(db.func.count(KbVote.id))) == 0


def test_vote_without_csrf_token_is_refused(client, faq, db, csrf_enabled):
    response = client.post(f"/kb/articles/{faq['refund'].id}/vote", data={"helpful": "yes"})
    assert response.status_code == 400
    assert db.session.scalar(select(db.func.count(KbVote.id))) == 0


def test_staff_see_readers_comments(client, faq, login, make_user):
    client.post(f"/kb/articles/{faq['refund'].id}/vote", data={"helpful": "no", "comment": "Took 12 days for me"})
    login(make_user("agent"))
    assert "Took 12 days for me" in text(client.get(f"/kb/articles/{faq['refund'].id}"))


def test_staff_find_the_editor_from_the_knowledge_base(client, login, make_user):
    assert "Manage articles" not in text(client.get("/kb/"))
    login(make_user("customer"))
    assert "Manage articles" not in text(client.get("/kb/"))
    client.post("/logout")
    login(make_user("csm"))
    assert 'href="/kb/manage/"' in text(client.get("/kb/"))
