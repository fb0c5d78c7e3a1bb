"""Knowledge-base search over the API (public)."""

from flask import url_for
from flask.views import MethodView

from app.api import bp
from app.api.schemas import QUERY_MAX, KbSearchArgs, KbSearchSchema
from app.core.locales import normalize_locale


def search_articles(q, locale, limit):
    """Published public articles best first as {id, title, url, locale, score} (internal ones never)."""
    from app.kb import searching

    return [{"id": r.article.id, "title": r.article.title,
             "url": url_for("kb.article", article_id=r.article.id, _external=True),
             "locale": r.article.locale, "score": r.score}
            for r in searching.search(q, locale=locale, limit=limit, audience="public")]


@bp.route("/kb/search")
class KbSearch(MethodView):
    public = True

    @bp.doc(security=[], summary="Search the knowledge base", description="Not a paged list: the best `limit` results.")
    @bp.arguments(KbSearchArgs, location="query")
    @bp.response(200, KbSearchSchema)
    def get(self, args):
        query = args["q"][:QUERY_MAX]
        locale = normalize_locale(args.get("locale"))
        return {"results": search_articles(query, locale, args["limit"]) if query.strip() else []}
