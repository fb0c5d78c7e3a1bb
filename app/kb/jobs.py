"""Knowledge-base index jobs."""

from app.jobs import job, periodic


@job("kb.index_article")
def index_article_job(article_id):
    """Bring one article's search entry in line with the article (safe to run twice)."""
    from app.kb import engine  # the engine pulls in numpy and the encoders; only when a job runs

    engine.index_article(int(article_id))


@job("kb.refresh_stale", queue="low")
def refresh_stale_job():
    """Periodic: rebuild the entries an older encoder recipe made (after an upgrade), half a
    minute's worth per run; with nothing stale it is one indexed query. Safe to run twice."""
    from app.kb import engine

    engine.refresh_stale()


periodic("kb.refresh_stale", every=300, queue="low")
