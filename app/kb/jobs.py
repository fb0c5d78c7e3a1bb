"""Knowledge-base index jobs."""

from app.jobs import job


@job("kb.index_article")
def index_article_job(article_id):
    """Bring one article's search entry in line with the article (safe to run twice)."""
    from app.kb import engine  # the engine pulls in numpy and the encoders; only when a job runs

    engine.index_article(int(article_id))
