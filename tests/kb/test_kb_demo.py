"""The demo help center: categories, translations, one internal article, all indexed."""

from datetime import timedelta

from sqlalchemy import func, select

from app.kb import searching
from app.models import JobRecord
from app.models.kb import KbArticle, KbCategory
from app.models.kb_index import KbArticleIndex


def test_seed_demo_builds_a_multilingual_faq_that_search_finds(runner, db, index_all):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    articles = db.session.scalars(select(KbArticle)).all()
    assert 30 <= len(articles) <= 60
    assert db.session.scalar(select(func.count(KbCategory.id))) >= 5
    assert {a.locale for a in articles} == {"en", "ru", "bg", "zh-Hant", "ja"}
    internal = [a for a in articles if a.visibility == "internal"]
    assert len(internal) == 1
    # Every translation points at an English original of the same group.
    originals = {a.id: a for a in articles if a.locale == "en"}
    for a in articles:
        if a.locale != "en":
            assert originals[a.translation_group_id].translation_group_id == a.translation_group_id
    # seed_demo drops the jobs its steps record; the index jobs are recorded as it commits, so they survive.
    queued = {args[0] for (args,) in db.session.execute(select(JobRecord.args).where(JobRecord.name == "kb.index_article"))}
    assert queued == {a.id for a in articles}
    index_all()
    assert db.session.scalar(select(func.count()).select_from(KbArticleIndex)) == len(articles)
    hits = searching.search("I was charged twice for my subscription", locale="en", limit=5)
    assert hits and hits[0].article.title == "I was charged twice"
    assert internal[0].id not in [h.id for h in searching.search("refund credit policy", limit=50)]


def test_seed_demo_gives_the_kb_reports_a_month_of_history(runner, db):
    from app.kb import deflection
    from app.models.base import utcnow
    from app.models.kb import KbDeflection, KbSearch

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    now = utcnow()
    times = [t for (t,) in db.session.execute(select(KbSearch.created_at))]
    times += [t for (t,) in db.session.execute(select(KbDeflection.created_at))]
    assert times and all(now - timedelta(days=30) < t < now for t in times)

    gaps = searching.content_gaps(now, days=30)
    assert (gaps["zero"][0]["query"], gaps["zero"][0]["count"]) == ("salesforce custom fields", 4)
    assert now - timedelta(days=30) < gaps["zero"][0]["last"] < now
    assert "change billing currency" in [row["query"] for row in gaps["low_click"]]
    assert "reset password" not in [row["query"] for row in gaps["low_click"]]  # most searchers opened the answer

    report = deflection.report(now, days=30)
    assert report["visits"] == report["visits_shown"] == 56
    assert report["deflections"] == 33 and report["opened_then_submitted"] == 12 and report["pending"] == 0
    assert report["top"][0]["title"] == "Reset your password" and report["top"][0]["count"] == 9
    # Spread over the month: the last week holds only part of it.
    assert 0 < deflection.report(now, days=7)["visits"] < 56
