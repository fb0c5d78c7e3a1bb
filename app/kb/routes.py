"""Public knowledge-base pages: the help center's categories, search, articles, votes and the
suggestions shown while a customer types a ticket."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user

from app.core.errors import DomainError, NotFound
from app.core.locales import normalize_locale
from app.extensions import db, limiter
from app.kb import bp, deflection, searching, services
from app.kb.forms import VoteForm
from app.kb.markdown import plain_text, render_markdown

QUERY_MAX = searching.QUERY_MAX
SEARCH_LIMIT = 20
SUGGEST_LIMIT = 5
SNIPPET = 160


def visitor_locale():
    """(locale, problem): `?locale=` when given and valid, else the interface language."""
    raw = request.args.get("locale")
    if raw:
        code = normalize_locale(raw)
        if code is None:
            return None, _("“%(code)s” is not a language code such as en, ru or zh-Hant.", code=raw[:40])
        return code, None
    return normalize_locale(str(get_locale() or "en")), None


def _staff():
    return services.is_staff(current_user)


def _category_names(locale):
    return {c.id: c.display_name(locale) for c in services.categories()}


@bp.app_template_global()
def kb_help_center():
    """Categories and popular articles for the help-center home page (support/home.html)."""
    locale, _problem = visitor_locale()
    cats = services.categories()
    articles = services.listed_articles(locale)
    counts = {}
    for a in articles:
        counts[a.category_id] = counts.get(a.category_id, 0) + 1
    return {"locale": locale, "categories": [(c, counts.get(c.id, 0)) for c in cats if counts.get(c.id)],
            "popular": services.popular_articles(locale)}


@bp.get("/kb/")
def index():
    locale, problem = visitor_locale()
    cats = services.categories()
    articles = services.listed_articles(locale, staff=False)
    by_category = {}
    for article in articles:
        by_category.setdefault(article.category_id, []).append(article)
    sections = [(c, by_category.get(c.id, [])) for c in cats if by_category.get(c.id)]
    return render_template("kb/index.html", sections=sections, uncategorized=by_category.get(None, []),
                           locale=locale, problem=problem, popular=services.popular_articles(locale),
                           total=len(articles))


@bp.get("/kb/categories/<slug>")
def category(slug):
    locale, problem = visitor_locale()
    try:
        cat = services.get_category_by_slug(slug)
    except NotFound:
        abort(404)
    articles = services.listed_articles(locale, category_id=cat.id)
    return render_template("kb/category.html", category=cat, articles=articles, locale=locale, problem=problem)


@bp.get("/kb/search")
def search():
    raw = request.args.get("q") or ""
    q, was_cut = searching.cut_query(raw)
    locale, problem = visitor_locale()
    if problem:
        return render_template("kb/search.html", q=q, results=[], problem=problem, locale=None,
                               search_id=None, was_cut=was_cut), 400
    results, search_id = [], None
    if q.strip():
        results = searching.search(q, locale=locale, limit=SEARCH_LIMIT, audience="public")
        row = searching.log_search(q, locale, len(results), source="search")
        search_id = row.id if row is not None else None
    # Rendered before the commit, which would expire the articles and reload each one.
    page = render_template("kb/search.html", q=q, results=results, problem=None, locale=locale,
                           search_id=search_id, was_cut=was_cut, snippet=lambda a: plain_text(a.body, SNIPPET),
                           category_names=_category_names(locale))
    db.session.commit()
    return page


@bp.get("/kb/articles/<int:article_id>")
def article(article_id):
    try:
        art = services.get_article(article_id, current_user)
    except NotFound:
        abort(404)
    locale, _problem = visitor_locale()
    staff = _staff()
    # Where the visitor came from: a search result (click-through) or a ticket-form suggestion.
    if request.args.get("sid", type=int):
        searching.record_click(request.args.get("sid", type=int), art.id)
    if request.args.get("s"):
        deflection.record_open(request.args.get("s"), art.id)
    if not staff:
        services.record_view(art)
    db.session.commit()
    db.session.refresh(art)
    voted = art.id in session.get("kb_voted", [])
    return render_template(
        "kb/article.html", article=art, html=render_markdown(art.body), staff=staff, locale=locale,
        translations=services.translations_of(art, staff=staff),
        preferred=services.translation_in(art, locale, staff=staff),
        category_name=art.category.display_name(locale) if art.category else None,
        form=VoteForm(), voted=voted,
        comments=services.recent_comments(art) if staff else [])


@bp.post("/kb/articles/<int:article_id>/vote")
@limiter.limit(lambda: current_app.config.get("RATELIMIT_KB_VOTE", "20 per minute"))
def vote(article_id):
    try:
        art = services.get_article(article_id, current_user)
    except NotFound:
        abort(404)
    form = VoteForm()
    helpful = request.form.get("helpful")
    target = url_for("kb.article", article_id=art.id) + "#feedback"
    if helpful not in ("yes", "no") or not form.validate_on_submit():
        problem = form.errors.get("comment", [None])[0] if form.errors else None
        flash(problem or _("Choose “Yes” or “No”."), "error")
        return redirect(target)
    voted = session.get("kb_voted", [])
    if art.id in voted:
        flash(_("You already told us about this article. Thank you!"), "success")
        return redirect(target)
    try:
        services.record_vote(art, helpful == "yes", form.comment.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(target)
    db.session.commit()
    session["kb_voted"] = (voted + [art.id])[-200:]
    flash(_("Thank you for your feedback!"), "success")
    return redirect(target)


@bp.get("/kb/suggest")
@limiter.limit(lambda: current_app.config.get("RATELIMIT_KB_SUGGEST", "120 per minute"))
def suggest():
    """Articles matching what a customer types on the ticket form (JSON)."""
    q, _cut = searching.cut_query(request.args.get("q") or "")
    raw_locale = request.args.get("locale")
    locale = normalize_locale(raw_locale) if raw_locale else visitor_locale()[0]
    if raw_locale and locale is None:
        return jsonify({"error": {"code": "validation_error",
                                  "message": _("“%(code)s” is not a language code such as en, ru or zh-Hant.",
                                               code=raw_locale[:40])}}), 422
    limit = min(max(request.args.get("limit", SUGGEST_LIMIT, type=int) or SUGGEST_LIMIT, 1), 10)
    if len(q.strip()) < 3:
        return jsonify({"results": []})
    results = searching.search(q, locale=locale, limit=limit, audience="public")
    token = request.args.get("s")
    row = searching.log_search(q, locale, len(results), source="suggest", token=token if deflection.valid_token(token) else None)
    if results:
        deflection.record_shown(token, q, locale, [r.id for r in results])
    extra = {"s": token} if deflection.valid_token(token) else {}
    if row is not None:
        extra["sid"] = row.id
    # Built before the commit, which would expire the articles and reload each one.
    payload = {"results": [{
        "id": r.id, "title": r.article.title,
        "url": url_for("kb.article", article_id=r.id, **extra),
        "locale": r.article.locale, "snippet": plain_text(r.article.body, SNIPPET),
    } for r in results]}
    db.session.commit()
    return jsonify(payload)


@bp.post("/kb/suggest/submitted")
def suggest_submitted():
    """The ticket form of visit `s` was sent (a beacon from kb-suggest.js): not a deflection."""
    deflection.record_submitted(request.form.get("s"))
    db.session.commit()
    return ("", 204)


@bp.errorhandler(RateLimitExceeded)
def _too_many(exc):
    if request.endpoint == "kb.suggest":
        return jsonify({"error": {"code": "rate_limited", "message": _("Too many requests; wait a moment.")}}), 429
    return render_template("errors/error.html", status=429,
                           message=_("Too many attempts. Please wait a little and try again.")), 429


@bp.app_template_global()
def locale_name(code):
    """'ru' → 'русский' (the language's own name), for the article-language labels."""
    from babel import Locale
    from babel.core import UnknownLocaleError

    try:
        return Locale.parse((code or "").replace("-", "_")).get_display_name((code or "").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return code


@bp.app_template_filter("kb_markdown")
def kb_markdown(source):
    return render_markdown(source)
