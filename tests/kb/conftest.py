"""Knowledge-base content fixtures: categories and articles saved through the services, as the
editor does.

Index jobs are recorded but not run in-process here (JOBS_DEFER_INLINE): encoding one article per
job costs seconds on a busy machine, so fixtures index what they made in one batch with
`engine.index_articles`; tests about the job itself run it explicitly.
"""

import pytest
from sqlalchemy import select

from app.kb import services
from app.models.kb import KbArticle


@pytest.fixture(autouse=True)
def _jobs_deferred(app):
    app.config["JOBS_DEFER_INLINE"] = True
    yield
    app.config["JOBS_DEFER_INLINE"] = False


@pytest.fixture
def index_all(db):
    """Index every article now, in one batch (what the queued index jobs would do one by one)."""
    from app.kb import engine

    def run():
        engine.index_articles(db.session.scalars(select(KbArticle.id)).all())

    return run


@pytest.fixture
def make_category(db):
    def make(name="Billing", **values):
        category = services.save_category({"name": name, **values})
        db.session.commit()
        return category

    return make


@pytest.fixture
def make_article(db, index_all):
    """A saved (by default published) article; `index=True` indexes everything before returning."""

    def make(title="Reset your password", body="Open the login page and click **Forgot password**.",
             locale="en", publish=True, visibility="public", category=None, translation_of=None, tags="",
             author=None, index=False):
        article = services.save_article(author, {
            "title": title, "body": body, "locale": locale, "publish": publish, "visibility": visibility,
            "category_id": category.id if category is not None else None,
            "translation_of": translation_of.id if translation_of is not None else None, "tags": tags,
        })
        db.session.commit()
        if index:
            index_all()
        return article

    return make


@pytest.fixture
def faq(make_article, make_category, index_all):
    """A small help center: two categories, English articles, one Russian translation, one internal."""
    billing = make_category("Billing", names={"ru": "Оплата"})
    account = make_category("Account")
    articles = {
        "refund": make_article("Refunds for cancelled orders",
                               "When you cancel an order we refund the money to the card you paid with. "
                               "A refund shows up on your statement within 5 business days.", category=billing),
        "invoice": make_article("Download an invoice",
                                "Open **Billing › Invoices** and choose *Download PDF* next to the invoice.",
                                category=billing),
        "password": make_article("Reset your password",
                                 "If you forgot your password, open the login page and click Forgot password. "
                                 "We e-mail you a reset link that is valid for one hour.", category=account),
        "internal": make_article("Refund override procedure (staff)",
                                 "Agents can force a refund for cancelled orders from the admin console.",
                                 visibility="internal", category=billing),
        "draft": make_article("Refunds in gift cards (draft)", "Refunds to gift cards are coming soon.",
                              publish=False, category=billing),
    }
    articles["refund_ru"] = make_article("Возврат денег за отменённый заказ",
                                         "Если вы отменили заказ, деньги вернутся на карту в течение пяти "
                                         "рабочих дней.", locale="ru", category=billing,
                                         translation_of=articles["refund"])
    index_all()
    return articles
