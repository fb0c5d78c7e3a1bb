"""Knowledge-base search for pages, suggestions, the API and the CLI, and the search log.

Ranking is the engine's (app.kb.engine); this module cuts and checks the query, keeps only what the
audience may read (double-checked against the articles table, so a stale index never leaks an
internal article), logs page searches and suggestions for the content-gaps report, and builds that
report.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Integer, case, func, select

from app.extensions import db
from app.models.kb import KbArticle, KbSearch

QUERY_MAX = 1000
LIMIT_MAX = 100
LOW_CLICK_RATE = 0.25  # below this share of clicked searches a query is "low-click"
LOW_CLICK_MIN = 2  # searches needed before a query can be called low-click


@dataclass
class Result:
    article: KbArticle
    score: float

    @property
    def id(self):
        return self.article.id


def cut_query(query):
    """(query cut at QUERY_MAX characters, whether it was cut)."""
    query = query or ""
    return query[:QUERY_MAX], len(query) > QUERY_MAX


def normalize_query(query):
    """What the search log stores: trimmed, lower case, single spaces."""
    return re.sub(r"\s+", " ", (query or "").strip().lower())[:QUERY_MAX]


def search(query, locale=None, limit=10, audience="public"):
    """Articles best first for `audience` ('public': published public ones only; 'staff': all published)."""
    query, _cut = cut_query(query)
    if not query.strip():
        return []
    limit = max(1, min(int(limit), LIMIT_MAX))
    from app.kb import engine  # the engine loads its index lazily; importing it here keeps start-up light

    hits = engine.search(query, locale=locale, limit=limit, audience=audience)
    if not hits:
        return []
    ids = [hit.article_id for hit in hits]
    conditions = [KbArticle.id.in_(ids), KbArticle.status == "published"]
    if audience != "staff":
        conditions.append(KbArticle.visibility == "public")
    articles = {a.id: a for a in db.session.scalars(select(KbArticle).where(*conditions))}
    return [Result(articles[hit.article_id], float(hit.score)) for hit in hits if hit.article_id in articles]


def log_search(query, locale, result_count, source="search", token=None, now=None):
    """Record a search; a suggestion burst (same token, the query growing or shrinking) stays one row."""
    text = normalize_query(query)
    if not text:
        return None
    if token:
        last = db.session.scalar(select(KbSearch).where(KbSearch.token == token)
                                 .order_by(KbSearch.id.desc()).limit(1))
        if last is not None and not last.clicked and (text.startswith(last.query) or last.query.startswith(text)):
            last.query, last.locale, last.result_count = text, locale, result_count
            if now is not None:
                last.created_at = now
            db.session.flush()
            return last
    row = KbSearch(query=text, locale=locale, result_count=result_count, source=source, token=token)
    if now is not None:
        row.created_at = now
    db.session.add(row)
    db.session.flush()
    return row


def record_click(search_id, article_id):
    """The searcher opened an article from the results of search `search_id`."""
    row = db.session.get(KbSearch, search_id) if search_id else None
    if row is not None and not row.clicked:
        row.clicked, row.clicked_article_id = True, article_id
        db.session.flush()
    return row


def content_gaps(now, days=30, source=None, limit=50):
    """Zero-result and low-click queries of the last `days` days, most frequent first."""
    since = now - timedelta(days=days)
    base = [KbSearch.created_at >= since]
    if source in ("search", "suggest"):
        base.append(KbSearch.source == source)
    count = func.count(KbSearch.id).label("count")
    last = func.max(KbSearch.created_at).label("last")
    zero = db.session.execute(
        select(KbSearch.query, count, last).where(*base, KbSearch.result_count == 0)
        .group_by(KbSearch.query).order_by(count.desc(), KbSearch.query).limit(limit)).all()
    clicks = func.sum(case((KbSearch.clicked.is_(True), 1), else_=0)).cast(Integer).label("clicks")
    low = db.session.execute(
        select(KbSearch.query, count, clicks, last).where(*base, KbSearch.result_count > 0)
        .group_by(KbSearch.query)
        .having(func.count(KbSearch.id) >= LOW_CLICK_MIN)
        .having(func.sum(case((KbSearch.clicked.is_(True), 1), else_=0)) < func.count(KbSearch.id) * LOW_CLICK_RATE)
        .order_by(count.desc(), KbSearch.query).limit(limit)).all()
    totals = db.session.execute(
        select(func.count(KbSearch.id), func.sum(case((KbSearch.result_count == 0, 1), else_=0)),
               func.sum(case((KbSearch.clicked.is_(True), 1), else_=0))).where(*base)).one()
    return {
        "zero": [{"query": r.query, "count": r.count, "last": r.last} for r in zero],
        "low_click": [{"query": r.query, "count": r.count, "clicks": r.clicks or 0, "last": r.last} for r in low],
        "total": totals[0] or 0, "zero_total": int(totals[1] or 0), "clicked_total": int(totals[2] or 0),
        "days": days, "source": source,
    }
