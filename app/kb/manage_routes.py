"""Staff knowledge-base editor (/kb/manage/): articles, categories, preview, the content-gaps and
deflection reports, and the suggested articles beside an agent's ticket."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.core.errors import DomainError, NotFound
from app.core.locales import normalize_locale
from app.core.permissions import require
from app.extensions import db
from app.kb import bp, deflection, searching, services
from app.kb.forms import ActionForm, ArticleForm, CategoryForm
from app.kb.markdown import plain_text, render_markdown
from app.models.base import utcnow
from app.models.kb import KbArticle, KbCategory

PER_PAGE = 25
PREVIEW_MAX = services.BODY_MAX
TICKET_SUGGESTIONS = 5


def _article_or_404(article_id):
    article = db.session.get(KbArticle, article_id)
    if article is None:
        abort(404)
    return article


def _category_or_404(category_id):
    category = db.session.get(KbCategory, category_id)
    if category is None:
        abort(404)
    return category


def _category_choices():
    return [SelectChoice(None, _("No category"))] + [SelectChoice(c.id, c.name) for c in services.categories()]


def _show_error(form, exc):
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
        return None
    return exc.message


# --- the article list ---------------------------------------------------------------------------

@bp.get("/kb/manage/")
@require("kb_edit")
def manage_home():
    status = request.args.get("status") or None
    visibility = request.args.get("visibility") or None
    raw_locale = (request.args.get("locale") or "").strip()
    locale = normalize_locale(raw_locale) if raw_locale else None
    category_id = request.args.get("category", type=int)
    text = (request.args.get("q") or "").strip()[:200]
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    problem = _("“%(code)s” is not a language code such as en, ru or zh-Hant.", code=raw_locale[:40]) \
        if raw_locale and locale is None else None
    query = services.manage_query(status=status, locale=locale, category_id=category_id, text=text,
                                  visibility=visibility)
    page = db.paginate(query, page=page_number, per_page=PER_PAGE, error_out=False)
    filters = {"status": status, "visibility": visibility, "locale": raw_locale, "category": category_id, "q": text}
    return render_template("kb/manage/list.html", page=page, filters=filters, problem=problem,
                           categories=services.categories(), locales=services.locales_in_use(),
                           action_form=ActionForm()), (400 if problem else 200)


# --- create and edit ----------------------------------------------------------------------------

def _form_values(form):
    return {"title": form.title.data, "body": form.body.data, "locale": form.locale.data,
            "category_id": form.category_id.data, "visibility": form.visibility.data,
            "translation_of": form.translation_of.data, "tags": form.tags.data,
            "publish": request.form.get("action") == "publish"}


def _editor(form, article=None, status=200, error=None):
    return render_template("kb/manage/edit.html", form=form, article=article, error=error,
                           action_form=ActionForm(),
                           translations=services.translations_of(article, staff=True) if article else []), status


@bp.route("/kb/manage/articles/new", methods=["GET", "POST"])
@require("kb_edit")
def manage_new():
    form = ArticleForm()
    form.category_id.choices = _category_choices()
    if request.method == "GET":
        # "Translate" links prefill the original and its category.
        original = db.session.get(KbArticle, request.args.get("translation_of", type=int) or 0)
        if original is not None:
            form.translation_of.data = original.translation_group_id or original.id
            form.category_id.data = original.category_id
            form.visibility.data = original.visibility
            form.tags.data = ", ".join(original.tags or [])
            form.locale.data = normalize_locale(request.args.get("locale")) or ""
        return _editor(form)
    if not form.validate_on_submit():
        return _editor(form, status=400)
    try:
        article = services.save_article(current_user, _form_values(form))
    except DomainError as exc:
        db.session.rollback()
        return _editor(form, status=exc.status, error=_show_error(form, exc))
    db.session.commit()
    flash(_("Article published.") if article.status == "published" else _("Draft saved."), "success")
    return redirect(url_for("kb.manage_edit", article_id=article.id))


@bp.route("/kb/manage/articles/<int:article_id>/edit", methods=["GET", "POST"])
@require("kb_edit")
def manage_edit(article_id):
    article = _article_or_404(article_id)
    if request.method == "GET":
        form = ArticleForm(obj=article)
        form.tags.data = ", ".join(article.tags or [])
        group = article.translation_group_id
        form.translation_of.data = group if group and group != article.id else None
    else:
        form = ArticleForm()
    form.category_id.choices = _category_choices()
    if request.method == "GET":
        return _editor(form, article)
    if not form.validate_on_submit():
        return _editor(form, article, status=400)
    try:
        services.save_article(current_user, _form_values(form), article=article)
    except DomainError as exc:
        db.session.rollback()
        return _editor(form, _article_or_404(article_id), status=exc.status, error=_show_error(form, exc))
    db.session.commit()
    flash(_("Article published.") if request.form.get("action") == "publish" else _("Changes saved."), "success")
    return redirect(url_for("kb.manage_edit", article_id=article_id))


@bp.post("/kb/manage/articles/<int:article_id>/publish")
@require("kb_edit")
def manage_publish(article_id):
    return _set_status(article_id, "published", _("Article published."))


@bp.post("/kb/manage/articles/<int:article_id>/unpublish")
@require("kb_edit")
def manage_unpublish(article_id):
    return _set_status(article_id, "draft", _("Article unpublished: it is a draft again."))


def _set_status(article_id, status, message):
    article = _article_or_404(article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.set_status(article, status)
    db.session.commit()
    flash(message, "success")
    return redirect(request.form.get("next") if request.form.get("next") == url_for("kb.manage_home")
                    else url_for("kb.manage_edit", article_id=article_id))


@bp.post("/kb/manage/articles/<int:article_id>/delete")
@require("kb_edit")
def manage_delete(article_id):
    article = _article_or_404(article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":
        flash(_("Tick “Yes, delete it” to delete the article."), "error")
        return redirect(url_for("kb.manage_edit", article_id=article_id))
    title = article.title
    services.delete_article(article)
    db.session.commit()
    flash(_("Article “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("kb.manage_home"))


@bp.post("/kb/manage/preview")
@require("kb_edit")
def manage_preview():
    """The editor's live preview: the body rendered and sanitized exactly as readers will see it."""
    body = request.form.get("body")
    if body is None:
        return jsonify({"error": {"code": "bad_request", "message": _("Send the text as “body”.")}}), 400
    if len(body) > PREVIEW_MAX:
        return jsonify({"error": {"code": "validation_error",
                                  "message": _("The text may be %(n)d characters at most.", n=PREVIEW_MAX)}}), 422
    return jsonify({"html": str(render_markdown(body))})


# --- categories ---------------------------------------------------------------------------------

def _category_values(form):
    return {"name": form.name.data, "slug": form.slug.data, "description": form.description.data,
            "position": form.position.data, "names": form.names.data or ""}


@bp.route("/kb/manage/categories", methods=["GET", "POST"])
@require("kb_edit")
def manage_categories():
    form = CategoryForm()
    status, error = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                category = services.save_category(_category_values(form))
                db.session.commit()
                flash(_("Category “%(name)s” created.", name=category.name), "success")
                return redirect(url_for("kb.manage_categories"))
            except DomainError as exc:
                db.session.rollback()
                status, error = exc.status, _show_error(form, exc)
        else:
            status = 400
    counts = dict(db.session.execute(
        db.select(KbArticle.category_id, db.func.count(KbArticle.id)).group_by(KbArticle.category_id)).all())
    return render_template("kb/manage/categories.html", form=form, error=error, counts=counts,
                           categories=services.categories()), status


@bp.route("/kb/manage/categories/<int:category_id>/edit", methods=["GET", "POST"])
@require("kb_edit")
def manage_category(category_id):
    category = _category_or_404(category_id)
    if request.method == "GET":
        form = CategoryForm(obj=category)
        form.names.data = "\n".join(f"{code}: {name}" for code, name in sorted((category.names or {}).items()))
        return render_template("kb/manage/category.html", form=form, category=category, error=None,
                               action_form=ActionForm())
    form = CategoryForm()
    status, error = 400, None
    if form.validate_on_submit():
        try:
            services.save_category(_category_values(form), category=category)
            db.session.commit()
            flash(_("Category saved."), "success")
            return redirect(url_for("kb.manage_categories"))
        except DomainError as exc:
            db.session.rollback()
            category = _category_or_404(category_id)
            status, error = exc.status, _show_error(form, exc)
    return render_template("kb/manage/category.html", form=form, category=category, error=error,
                           action_form=ActionForm()), status


@bp.post("/kb/manage/categories/<int:category_id>/delete")
@require("kb_edit")
def manage_category_delete(category_id):
    category = _category_or_404(category_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":
        flash(_("Tick “Yes, delete it” to delete the category."), "error")
        return redirect(url_for("kb.manage_category", category_id=category_id))
    name = category.name
    services.delete_category(category)
    db.session.commit()
    flash(_("Category “%(name)s” deleted; its articles are now without a category.", name=name), "success")
    return redirect(url_for("kb.manage_categories"))


# --- reports ------------------------------------------------------------------------------------

def _days():
    days = request.args.get("days", 30, type=int) or 30
    return min(max(days, 1), 365)


@bp.get("/kb/manage/gaps")
@require("kb_edit")
def manage_gaps():
    source = request.args.get("source") if request.args.get("source") in ("search", "suggest") else None
    report = searching.content_gaps(utcnow(), days=_days(), source=source)
    return render_template("kb/manage/gaps.html", report=report)


@bp.get("/kb/manage/deflections")
@require("kb_edit")
def manage_deflections():
    return render_template("kb/manage/deflections.html", report=deflection.report(utcnow(), days=_days()))


# --- the agent's ticket page --------------------------------------------------------------------

@bp.get("/kb/manage/tickets/<int:ticket_id>/suggestions")
@require("kb_edit")
def manage_ticket_suggestions(ticket_id):
    """Articles that may answer a ticket (its subject and first message), for the agent's side panel."""
    from app.support.services import get_ticket

    try:
        ticket = get_ticket(ticket_id)
    except NotFound:
        return jsonify({"error": {"code": "not_found", "message": _("Ticket not found.")}}), 404
    first = next((m for m in ticket.messages if m.public), None)
    query = " ".join(part for part in (ticket.subject, first.body if first else "") if part)
    results = searching.search(query, locale=normalize_locale(ticket.language), limit=TICKET_SUGGESTIONS,
                               audience="staff")
    return jsonify({"results": [{
        "id": r.id, "title": r.article.title, "locale": r.article.locale,
        "url": url_for("kb.article", article_id=r.id, _external=True),
        "internal": r.article.visibility == "internal",
        "snippet": plain_text(r.article.body, 140),
    } for r in results]})
