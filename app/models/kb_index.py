"""The knowledge-base search index: what the engine stores per article.

One row per published article (drafts and deleted articles have none): its lexical tokens, its
passage vectors (float16 bytes, `passages` rows each; MiniLM ones for English articles only) and
the recipe they were made with (`app.kb.engine_core.RECIPE`), so entries made before an encoder
changed are found and rebuilt. `kb_index_state` holds a token that changes
on every write, so each process knows when to reload its in-memory copy.
"""

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class KbArticleIndex(db.Model):
    __tablename__ = "kb_article_index"

    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    visibility: Mapped[str] = mapped_column(String(10), nullable=False, default="public")
    title: Mapped[str] = mapped_column(String(250), nullable=False, default="")
    terms: Mapped[str] = mapped_column(Text, nullable=False, default="")   # space-separated tokens
    grams: Mapped[str] = mapped_column(Text, nullable=False, default="")
    passages: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    e5 = mapped_column(LargeBinary, nullable=False)    # float16, passages × 384
    use = mapped_column(LargeBinary, nullable=False)   # float16, passages × 512
    minilm = mapped_column(LargeBinary, nullable=True)  # float16, passages × 384; English articles only
    recipe: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # NULL: made before 0010
    indexed_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class KbIndexState(db.Model):
    """A single row (id 1): `token` changes whenever the index does."""

    __tablename__ = "kb_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(36), nullable=False)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
