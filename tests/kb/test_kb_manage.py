"""The staff editor (/kb/manage/): who may use it, validation, publishing, index jobs, categories,
and the agent's suggested articles."""

import pytest
from sqlalchemy import select

from app.jobs import execute_job
from app.kb import engine
from app.models import JobRecord
from app.models.kb import KbArticle, KbCategory


def text(response):
    return response.get_data(as_text=True)


def index_jobs(db):
    return [args for (args,) in db.session.execute(
        select(JobRecord.args).where(JobRecord.name == "kb.index_article").order_by(JobRecord.id))]


@pytest.fixture
def agent(make_user, login):
    user = make_user("agent")
    login(user)
    return user


ARTICLE = {"title": "Change the card we charge", "body": "Open **Billing** and add the new card.",
           "locale": "EN", "category_id": "", "visibility": "public", "translation_of": "", "tags": "Card, billing card"}


@pytest.mark.parametrize("path", ["/kb/manage/", "/kb/manage/articles/new", "/kb/manage/categories",
                                  "/kb/manage/gaps", "/kb/manage/deflections"])
def test_customers_get_403_and_visitors_are_sent_to_login(client, make_user, login, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(make_user("customer"))
    assert client.get(path).status_code == 403


def test_customer_cannot_create_articles(client, make_user, login, db):
    login(make_user("customer"))
    assert client.post("/kb/manage/articles/new", data=ARTICLE).status_code == 403
    assert db.session.scalar(select(db.func.count(KbArticle.id))) == 0


@pytest.mark.parametrize("role", ["agent", "csm", "admin"])
def test_staff_create_a_draft_and_it_is_queued_for_indexing(client, make_user, login, db, role):
    login(make_user(role))
    response = client.post("/kb/manage/articles/new", data=ARTICLE)
    assert response.status_code == 302
    article = db.session.scalar(select(KbArticle))
    assert (article.title, article.status, article.locale, article.tags) == (
        "Change the card we charge", "draft", "en", ["card", "billing"])
    assert index_jobs(db) == [[article.id]]
    assert "Draft saved." in text(client.get(response.headers["Location"]))


def test_publish_from_the_editor_makes_the_article_searchable(client, agent, db):
    response = client.post("/kb/manage/articles/new", data={**ARTICLE, "action": "publish"})
    article = db.session.scalar(select(KbArticle))
    assert article.status == "published" and article.published_at is not None
    [job_id] = db.session.scalars(select(JobRecord.id).where(JobRecord.name == "kb.index_article"))
    execute_job(job_id)  # the job the save queued, run as the worker would
    assert [h.article_id for h in engine.search("change the card we charge")] == [article.id]
    assert "Article published." in text(client.get(response.headers["Location"]))


def test_unpublish_and_delete_remove_the_article_from_search(client, agent, db, make_article, index_all):
    article = make_article("Change the card we charge", "Open Billing and add the new card.", index=True)
    assert engine.search("change my card")
    assert client.post(f"/kb/manage/articles/{article.id}/unpublish").status_code == 302
    db.session.refresh(article)
    assert article.status == "draft"
    index_all()
    assert engine.search("change my card") == []
    client.post(f"/kb/manage/articles/{article.id}/publish")
    db.session.refresh(article)
    assert article.status == "published"
    # Deleting needs the confirmation box.
    client.post(f"/kb/manage/articles/{article.id}/delete")
    assert db.session.get(KbArticle, article.id) is not None
    response = client.post(f"/kb/manage/articles/{article.id}/delete", data={"confirm": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(KbArticle, article.id) is None
    assert [article.id] in index_jobs(db)
    engine.index_article(article.id)
    assert engine.search("change my card") == []


@pytest.mark.parametrize("change, field, message", [
    ({"title": ""}, "title", "Give the article a title."),
    ({"title": "x" * 251}, "title", "250"),
    ({"body": "  "}, "body", "Write the article"),
    ({"locale": "not a locale"}, "locale", "is not a language code"),
    ({"category_id": "999"}, "category_id", "Not a valid choice"),
    ({"visibility": "secret"}, "visibility", "Not a valid choice"),
    ({"translation_of": "999"}, "translation_of", "Choose another existing article"),
    ({"translation_of": "abc"}, "translation_of", "Not a valid integer"),
    ({"tags": "x" * 41}, "tags", "40"),
])
def test_editor_validation_shows_the_problem_and_saves_nothing(client, agent, db, change, field, message):
    response = client.post("/kb/manage/articles/new", data={**ARTICLE, **change})
    assert response.status_code in (400, 422)
    assert message in text(response)
    assert db.session.scalar(select(db.func.count(KbArticle.id))) == 0
    assert index_jobs(db) == []


def test_translations_are_linked_and_one_per_language(client, agent, db, make_article):
    original = make_article("Reset your password", "Click Forgot password.")
    response = client.post("/kb/manage/articles/new", data={
        **ARTICLE, "title": "Как сбросить пароль", "locale": "ru", "translation_of": str(original.id)})
    assert response.status_code == 302
    ru = db.session.scalar(select(KbArticle).where(KbArticle.locale == "ru"))
    db.session.refresh(original)
    assert ru.translation_group_id == original.id == original.translation_group_id
    # A second Russian translation of the same article is refused.
    again = client.post("/kb/manage/articles/new", data={
        **ARTICLE, "title": "Ещё один", "locale": "ru", "translation_of": str(original.id)})
    assert again.status_code == 422 and "already has a translation in ru" in text(again)
    # The editor lists the translation and links to "Add a translation".
    page = text(client.get(f"/kb/manage/articles/{original.id}/edit"))
    assert "Как сбросить пароль" in page and f"translation_of={original.id}" in page


def test_edit_saves_changes(client, agent, db, make_article):
    article = make_article("Old title", "Old text")
    page = text(client.get(f"/kb/manage/articles/{article.id}/edit"))
    assert 'value="Old title"' in page
    response = client.post(f"/kb/manage/articles/{article.id}/edit", data={
        **ARTICLE, "title": "New title", "visibility": "internal"})
    assert response.status_code == 302
    db.session.refresh(article)
    assert (article.title, article.visibility, article.status) == ("New title", "internal", "published")
    assert client.get("/kb/manage/articles/999999/edit").status_code == 404


def test_list_filters_by_status_locale_and_category(client, agent, make_article, make_category):
    billing = make_category("Billing")
    make_article("Published billing", category=billing)
    make_article("Draft one", publish=False)
    make_article("Russian one", locale="ru")
    assert all(t in text(client.get("/kb/manage/")) for t in ("Published billing", "Draft one", "Russian one"))
    drafts = text(client.get("/kb/manage/?status=draft"))
    assert "Draft one" in drafts and "Published billing" not in drafts
    ru = text(client.get("/kb/manage/?locale=RU"))
    assert "Russian one" in ru and "Draft one" not in ru
    cat = text(client.get(f"/kb/manage/?category={billing.id}"))
    assert "Published billing" in cat and "Russian one" not in cat
    bad = client.get("/kb/manage/?locale=%21%21")
    assert bad.status_code == 400 and "is not a language code" in text(bad)


def test_categories_crud(client, agent, db, make_article):
    response = client.post("/kb/manage/categories", data={"name": "Billing & plans", "names": "ru: Оплата"})
    assert response.status_code == 302
    category = db.session.scalar(select(KbCategory))
    assert (category.slug, category.names) == ("billing-plans", {"ru": "Оплата"})
    duplicate = client.post("/kb/manage/categories", data={"name": "Other", "slug": "billing-plans"})
    assert duplicate.status_code == 422 and "already uses the address" in text(duplicate)
    bad_names = client.post("/kb/manage/categories", data={"name": "Other", "names": "Оплата"})
    assert bad_names.status_code == 422 and "Line 1" in text(bad_names)
    assert client.post("/kb/manage/categories", data={"name": ""}).status_code == 400
    article = make_article("In billing", category=category)
    client.post(f"/kb/manage/categories/{category.id}/edit", data={"name": "Billing", "slug": "billing",
                                                                     "names": "ru: Оплата\nbg: Плащания"})
    db.session.refresh(category)
    assert (category.name, category.slug, category.names["bg"]) == ("Billing", "billing", "Плащания")
    client.post(f"/kb/manage/categories/{category.id}/delete", data={"confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(KbCategory, category.id) is None
    assert db.session.get(KbArticle, article.id).category_id is None


def test_agent_ticket_page_suggests_articles_with_an_insert_link_button(client, agent, make_ticket, faq):
    ticket = make_ticket(subject="Refund for a cancelled order", body="I cancelled my order, where is my money?")
    page = text(client.get(f"/agent/tickets/{ticket.id}"))
    assert f'data-url="/kb/manage/tickets/{ticket.id}/suggestions"' in page and "kb-agent.js" in page
    results = client.get(f"/kb/manage/tickets/{ticket.id}/suggestions").get_json()["results"]
    assert results[0]["title"] == "Refunds for cancelled orders" and results[0]["internal"] is False
    assert results[0]["url"].endswith(f"/kb/articles/{faq['refund'].id}")
    assert client.get("/kb/manage/tickets/999999/suggestions").status_code == 404


def test_agents_are_suggested_internal_articles_flagged_as_internal(client, agent, make_ticket, faq):
    ticket = make_ticket(subject="Refund override procedure", body="Can staff force a refund from the admin console?")
    results = client.get(f"/kb/manage/tickets/{ticket.id}/suggestions").get_json()["results"]
    # Staff see internal articles too, flagged so no link to them is put in a customer reply.
    assert results[0]["id"] == faq["internal"].id and results[0]["internal"] is True
