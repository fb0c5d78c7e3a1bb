"""Knowledge base pages. There are no articles yet (next issue): the pages say so honestly."""

from flask import abort, render_template, request

from app.kb import bp

QUERY_MAX = 1000


@bp.get("/kb/")
def index():
    return render_template("kb/index.html")


@bp.get("/kb/search")
def search():
    q = (request.args.get("q") or "").strip()[:QUERY_MAX]
    return render_template("kb/search.html", q=q, results=[])


@bp.get("/kb/articles/<int:article_id>")
def article(article_id):
    abort(404)
