"""The demo help center: categories, translations, one internal article, all indexed."""

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
