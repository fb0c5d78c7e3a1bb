"""Knowledge base content: categories, articles, translations, votes, views, search log."""

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

STATUSES = ("draft", "published")
VISIBILITIES = ("public", "internal")
SEARCH_SOURCES = ("search", "suggest")


class KbCategory(db.Model):
    __tablename__ = "kb_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    slug: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Optional translated names, {"ru": "Оплата", …}; the visitor's language falls back to `name`.
    names = mapped_column(JSON, nullable=False, default=dict)

    articles = relationship("KbArticle", back_populates="category")

    def display_name(self, locale=None):
        names = self.names or {}
        if locale:
            if locale in names:
                return names[locale]
            base = locale.split("-")[0]
            if base in names:
                return names[base]
        return self.name


class KbArticle(db.Model):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")  # Markdown source
    locale: Mapped[str] = mapped_column(String(16), nullable=False, default="en")  # normalised BCP 47
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    visibility: Mapped[str] = mapped_column(String(10), nullable=False, default="public")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("kb_categories.id", ondelete="SET NULL"), index=True)
    # Translations share this value: the id of the original article (no FK, so deleting the
    # original leaves its translations linked to each other).
    translation_group_id: Mapped[int | None] = mapped_column(Integer, index=True)
    tags = mapped_column(JSON, nullable=False, default=list)
    view_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    helpful_yes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    helpful_no: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    published_at = mapped_column(UTCDateTime)

    category = relationship("KbCategory", back_populates="articles")
    author = relationship("User")

    __table_args__ = (Index("ix_kb_articles_listing", "status", "visibility", "locale"),)

    @property
    def is_public(self):
        return self.status == "published" and self.visibility == "public"


class KbVote(db.Model):
    """One "was this helpful?" answer, with an optional comment."""

    __tablename__ = "kb_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), nullable=False, index=True)
    helpful: Mapped[bool] = mapped_column(Boolean, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    article = relationship("KbArticle")


class KbSearch(db.Model):
    """One search or suggestion request, for the content-gaps report."""

    __tablename__ = "kb_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query: Mapped[str] = mapped_column(String(1000), nullable=False)  # normalised: trimmed, lower case, single spaces
    locale: Mapped[str | None] = mapped_column(String(16))
    result_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    clicked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    clicked_article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(8), nullable=False, default="search")
    # Suggestions: the ticket-form visit's token, so one typing burst is one row, not one per keystroke.
    token: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_kb_searches_created", "created_at"),)


class KbDeflection(db.Model):
    """One ticket-form visit that was shown suggestions (keyed by a random token kept in the page).

    A visit that opened a suggested article and never submitted the form within the grace period
    counts as a deflection; that is decided when the report is read (see app.kb.services).
    """

    __tablename__ = "kb_deflections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    last_query: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    shown_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    article_ids = mapped_column(JSON, nullable=False, default=list)  # every article suggested
    opened_article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id", ondelete="SET NULL"))
    opened_at = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    submitted_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    opened_article = relationship("KbArticle")

    __table_args__ = (Index("ix_kb_deflections_created", "created_at"),)
