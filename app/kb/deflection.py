"""Suggestions on the ticket form and the deflections they earn.

A visit to /tickets/new carries a random token (kept in the browser's sessionStorage). Each
suggestion request under it records what was shown; opening a suggested article records the open;
submitting the form records the submission. A visit that opened a suggested article and did not
submit within the grace period counts as a deflection, decided when the report is read, so no job
has to close visits and the report is right whatever time it is read.
"""

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import Integer, and_, case, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.base import utcnow
from app.models.kb import KbArticle, KbDeflection, KbSearch

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DEFAULT_GRACE_MINUTES = 30


def valid_token(token):
    return bool(token) and bool(TOKEN.match(token))


def grace_minutes():
    return int(current_app.config.get("KB_DEFLECTION_GRACE_MINUTES", DEFAULT_GRACE_MINUTES))


def _visit(token, create=False, now=None):
    visit = db.session.scalar(select(KbDeflection).where(KbDeflection.token == token))
    if visit is None and create:
        now = now or utcnow()
        try:
            with db.session.begin_nested():
                visit = KbDeflection(token=token, created_at=now, updated_at=now, article_ids=[], shown_count=0,
                                     last_query="")
                db.session.add(visit)
        except IntegrityError:  # a parallel request of the same visit created it first
            visit = db.session.scalar(select(KbDeflection).where(KbDeflection.token == token))
    return visit


def record_shown(token, query, locale, article_ids, now=None):
    if not valid_token(token):
        return None
    now = now or utcnow()
    visit = _visit(token, create=True, now=now)
    shown = list(visit.article_ids or [])
    for article_id in article_ids:
        if article_id not in shown:
            shown.append(article_id)
    visit.article_ids = shown
    visit.shown_count = (visit.shown_count or 0) + len(article_ids)
    visit.last_query = (query or "")[:1000]
    visit.locale = locale
    visit.updated_at = now
    db.session.flush()
    return visit


def record_open(token, article_id, now=None):
    """An article opened from a suggestion of visit `token`."""
    if not valid_token(token):
        return None
    visit = _visit(token)
    if visit is None:
        return None
    now = now or utcnow()
    visit.opened_article_id, visit.opened_at, visit.updated_at = article_id, now, now
    db.session.flush()
    return visit


def record_submitted(token, now=None):
    """The visit's form was submitted: whatever it opened, it did not deflect a ticket."""
    if not valid_token(token):
        return None
    visit = _visit(token)
    if visit is None:
        return None
    now = now or utcnow()
    if visit.submitted_at is None:
        visit.submitted_at, visit.updated_at = now, now
        db.session.flush()
    return visit


def report(now=None, days=30, grace=None, top=10):
    """Counts for the deflection report over the visits of the last `days` days."""
    now = now or utcnow()
    grace = grace_minutes() if grace is None else grace
    since = now - timedelta(days=days)
    cutoff = now - timedelta(minutes=grace)
    in_period = KbDeflection.created_at >= since
    opened = KbDeflection.opened_at.is_not(None)
    deflected = and_(opened, KbDeflection.submitted_at.is_(None), KbDeflection.opened_at <= cutoff)
    pending = and_(opened, KbDeflection.submitted_at.is_(None), KbDeflection.opened_at > cutoff)

    def n(condition):
        return func.sum(case((condition, 1), else_=0)).cast(Integer)

    row = db.session.execute(select(
        func.count(KbDeflection.id), n(KbDeflection.shown_count > 0), func.sum(KbDeflection.shown_count),
        n(opened), n(deflected), n(pending), n(and_(opened, KbDeflection.submitted_at.is_not(None))),
        n(KbDeflection.submitted_at.is_not(None)),
    ).where(in_period)).one()
    searches = db.session.execute(
        select(KbSearch.source, func.count(KbSearch.id)).where(KbSearch.created_at >= since)
        .group_by(KbSearch.source)).all()
    by_source = dict(searches)
    count = func.count(KbDeflection.id).label("count")
    top_rows = db.session.execute(
        select(KbArticle.id, KbArticle.title, KbArticle.locale, count)
        .join(KbDeflection, KbDeflection.opened_article_id == KbArticle.id)
        .where(in_period, deflected).group_by(KbArticle.id, KbArticle.title, KbArticle.locale)
        .order_by(count.desc(), KbArticle.id).limit(top)).all()
    visits_shown = row[1] or 0
    deflections = row[4] or 0
    return {
        "days": days, "grace": grace,
        "searches": by_source.get("search", 0), "suggest_requests": by_source.get("suggest", 0),
        "visits": row[0] or 0, "visits_shown": visits_shown, "suggestions_shown": int(row[2] or 0),
        "opened": row[3] or 0, "deflections": deflections, "pending": row[5] or 0,
        "opened_then_submitted": row[6] or 0, "submitted": row[7] or 0,
        "rate": (deflections / visits_shown) if visits_shown else None,
        "top": [{"id": r.id, "title": r.title, "locale": r.locale, "count": r.count} for r in top_rows],
    }
