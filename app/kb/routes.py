from flask import abort, render_template

from app.kb import bp


@bp.get("/kb/")
def index():
    return render_template("kb/index.html")


@bp.get("/kb/search")
def search():
    return render_template("kb/index.html")


@bp.get("/kb/articles/<int:article_id>")
def article(article_id):
    abort(404)
