import pytest

from app.models.kb import KbArticle

FAQ = [
    ("en", "Reset your password",
     "If you forgot your password, open the login page and click \"Forgot password\".\n"
     "We send a reset link to your e-mail address; it is valid for one hour."),
    ("en", "Refunds for cancelled orders",
     "When you cancel an order we refund the money to the card you paid with.\n"
     "A refund usually shows up on your statement within 5 business days."),
    ("en", "Tracking your delivery",
     "Every parcel gets a tracking number once it leaves our warehouse.\n"
     "Open Orders and choose Track to see where your package is."),
    ("en", "Two-factor authentication",
     "Protect your account with a one-time code from an authenticator app.\n"
     "Turn it on under Settings, Security."),
    ("en", "Exporting your data to CSV",
     "Admins can export tickets, users and reports as a CSV file from the Reports page."),
]


@pytest.fixture
def make_article(db):
    """An article row, committed and indexed (as the `kb.index_article` job would)."""
    from app.kb import engine

    def make(title, body="", locale="en", status="published", visibility="public", index=True):
        article = KbArticle(title=title, body=body, locale=locale, status=status, visibility=visibility, tags=[])
        db.session.add(article)
        db.session.commit()
        if index:
            engine.index_article(article.id)
        return article

    return make


@pytest.fixture
def faq(make_article):
    return {title: make_article(title, body, locale) for locale, title, body in FAQ}
