"""Knowledge-base content use cases: categories, articles, translations, views and votes.

Functions take an actor and values, flush and never commit; the caller commits once. Every change
to what the search index holds enqueues `kb.index_article` with the article's id.
"""

import re

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from app.core.errors import DomainError, NotFound
from app.core.locales import normalize_locale
from app.extensions import db
from app.jobs import enqueue
from app.models.base import utcnow
from app.models.kb import STATUSES, VISIBILITIES, KbArticle, KbCategory, KbVote

DEFAULT_LOCALE = "en"
TITLE_MAX = 250
BODY_MAX = 100_000
COMMENT_MAX = 2000
TAG_MAX = 40
TAGS_MAX = 20


def reindex(article_id):
    enqueue("kb.index_article", article_id)


# --- reading ------------------------------------------------------------------------------------

def is_staff(user):
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active and user.is_staff)


def visible_to(user, article):
    """Customers and visitors see published public articles; staff see everything."""
    return article is not None and (is_staff(user) or article.is_public)


def get_article(article_id, user=None):
    article = db.session.get(KbArticle, article_id)
    if not visible_to(user, article):
        raise NotFound(_("Article not found."))
    return article


def public_filter():
    return (KbArticle.status == "published", KbArticle.visibility == "public")


def categories():
    return db.session.scalars(select(KbCategory).order_by(KbCategory.position, KbCategory.name)).all()


def get_category_by_slug(slug):
    category = db.session.scalar(select(KbCategory).where(KbCategory.slug == slug))
    if category is None:
        raise NotFound(_("Category not found."))
    return category


def locale_rank(article_locale, wanted):
    """0: the visitor's language, 1: the same base language, 2: the default language, 3: other."""
    if wanted and article_locale == wanted:
        return 0
    if wanted and article_locale.split("-")[0] == wanted.split("-")[0]:
        return 1
    if article_locale == DEFAULT_LOCALE:
        return 2
    return 3


def one_per_translation(articles, locale):
    """Of each set of translations keep the one in the visitor's language, else the default one."""
    best = {}
    for article in articles:
        key = article.translation_group_id or article.id
        current = best.get(key)
        if current is None or (locale_rank(article.locale, locale), article.id) < (
                locale_rank(current.locale, locale), current.id):
            best[key] = article
    return [a for a in articles if best.get(a.translation_group_id or a.id) is a]


def listed_articles(locale, category_id=None, staff=False):
    """Published articles for the help center, one per translation group, in the visitor's language."""
    query = select(KbArticle).where(KbArticle.status == "published")
    if not staff:
        query = query.where(KbArticle.visibility == "public")
    if category_id is not None:
        query = query.where(KbArticle.category_id == category_id)
    articles = db.session.scalars(query.order_by(KbArticle.title, KbArticle.id)).all()
    return one_per_translation(articles, locale)


def popular_articles(locale, limit=6):
    articles = db.session.scalars(
        select(KbArticle).where(*public_filter()).order_by(KbArticle.view_count.desc(), KbArticle.id).limit(limit * 4)
    ).all()
    return one_per_translation(articles, locale)[:limit]


def translations_of(article, staff=False):
    """The other articles of its translation group (published public ones for visitors)."""
    if not article.translation_group_id:
        return []
    query = select(KbArticle).where(KbArticle.translation_group_id == article.translation_group_id,
                                    KbArticle.id != article.id)
    if not staff:
        query = query.where(*public_filter())
    return db.session.scalars(query.order_by(KbArticle.locale)).all()


def translation_in(article, locale, staff=False):
    """The article's translation in `locale`, when one exists (the visitor may prefer it)."""
    if not locale or article.locale == locale:
        return None
    for other in translations_of(article, staff=staff):
        if other.locale == locale:
            return other
    return None


def record_view(article):
    # One UPDATE, so concurrent readers never lose a count.
    db.session.execute(update(KbArticle).where(KbArticle.id == article.id)
                       .values(view_count=KbArticle.view_count + 1).execution_options(synchronize_session=False))


def record_vote(article, helpful, comment=None, user=None):
    comment = (comment or "").strip() or None
    if comment and len(comment) > COMMENT_MAX:
        raise DomainError(_("The comment may be %(n)d characters at most.", n=COMMENT_MAX), field="comment")
    vote = KbVote(article_id=article.id, helpful=bool(helpful), comment=comment,
                  user_id=user.id if user is not None and getattr(user, "is_authenticated", False) else None)
    db.session.add(vote)
    column = KbArticle.helpful_yes if helpful else KbArticle.helpful_no
    db.session.execute(update(KbArticle).where(KbArticle.id == article.id)
                       .values({column.key: column + 1}).execution_options(synchronize_session=False))
    db.session.flush()
    return vote


def recent_comments(article, limit=20):
    return db.session.scalars(
        select(KbVote).where(KbVote.article_id == article.id, KbVote.comment.is_not(None))
        .order_by(KbVote.created_at.desc(), KbVote.id.desc()).limit(limit)).all()


# --- the editor ---------------------------------------------------------------------------------

def parse_tags(raw):
    """'Billing, refunds  export' → ['billing', 'refunds', 'export'] (unique, in order)."""
    if isinstance(raw, (list, tuple)):
        items = raw
    else:
        items = re.split(r"[,\s]+", raw or "")
    tags = []
    for item in items:
        tag = item.strip().lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise DomainError(_("A tag may be %(n)d characters at most.", n=TAG_MAX), field="tags")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise DomainError(_("An article may have %(n)d tags at most.", n=TAGS_MAX), field="tags")
    return tags


def _check_locale(raw):
    locale = normalize_locale(raw)
    if locale is None:
        raise DomainError(_("“%(code)s” is not a language code such as en, ru or zh-Hant.", code=raw or ""),
                          field="locale")
    return locale


def _check_fields(values):
    title = (values.get("title") or "").strip()
    if not title:
        raise DomainError(_("Give the article a title."), field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(_("The title may be %(n)d characters at most.", n=TITLE_MAX), field="title")
    body = values.get("body") or ""
    if not body.strip():
        raise DomainError(_("Write the article's text."), field="body")
    if len(body) > BODY_MAX:
        raise DomainError(_("The text may be %(n)d characters at most.", n=BODY_MAX), field="body")
    visibility = values.get("visibility") or "public"
    if visibility not in VISIBILITIES:
        raise DomainError(_("Choose public or internal."), field="visibility")
    category_id = values.get("category_id") or None
    if category_id is not None and db.session.get(KbCategory, category_id) is None:
        raise DomainError(_("That category does not exist."), field="category_id")
    return {"title": title, "body": body, "visibility": visibility, "category_id": category_id,
            "locale": _check_locale(values.get("locale") or DEFAULT_LOCALE),
            "tags": parse_tags(values.get("tags") or [])}


def _link_translation(article, original_id):
    """Put `article` (flushed, with an id) in the translation group of article `original_id`."""
    if not original_id:
        if article.translation_group_id and article.translation_group_id != article.id:
            article.translation_group_id = None
        return
    if original_id == article.translation_group_id:
        original = None  # unchanged (the original may have been deleted since)
    else:
        original = db.session.get(KbArticle, original_id)
        if original is None or original.id == article.id:
            raise DomainError(_("Choose another existing article as the original."), field="translation_of")
    group = original.translation_group_id or original.id if original is not None else original_id
    same = db.session.scalar(select(KbArticle.id).where(
        or_(KbArticle.translation_group_id == group, KbArticle.id == group),
        KbArticle.locale == article.locale, KbArticle.id != article.id))
    if same is not None:
        raise DomainError(_("That article already has a translation in %(locale)s (#%(id)d).",
                            locale=article.locale, id=same), field="translation_of")
    if original is not None:
        original.translation_group_id = group
    article.translation_group_id = group


def save_article(actor, values, article=None, now=None):
    """Create (article None) or update an article from editor values; publish when values['publish']."""
    now = now or utcnow()
    fields = _check_fields(values)
    if article is None:
        article = KbArticle(author_id=actor.id if actor is not None else None, created_at=now, status="draft")
        db.session.add(article)
    for key, value in fields.items():
        setattr(article, key, value)
    article.updated_at = now
    db.session.flush()
    _link_translation(article, values.get("translation_of") or None)
    if values.get("publish"):
        article.status = "published"
        article.published_at = article.published_at or now
    db.session.flush()
    reindex(article.id)
    return article


def set_status(article, status, now=None):
    if status not in STATUSES:
        raise DomainError(_("Unknown status."), field="status")
    now = now or utcnow()
    article.status = status
    if status == "published":
        article.published_at = article.published_at or now
    article.updated_at = now
    db.session.flush()
    reindex(article.id)
    return article


def delete_article(article):
    article_id, group = article.id, article.translation_group_id
    db.session.delete(article)
    db.session.flush()
    # The others keep their group; a group of one is no group.
    if group:
        left = db.session.scalars(select(KbArticle).where(KbArticle.translation_group_id == group)).all()
        if len(left) == 1:
            left[0].translation_group_id = None
    reindex(article_id)


def manage_query(status=None, locale=None, category_id=None, text=None, visibility=None):
    query = select(KbArticle)
    if status in STATUSES:
        query = query.where(KbArticle.status == status)
    if visibility in VISIBILITIES:
        query = query.where(KbArticle.visibility == visibility)
    if locale:
        query = query.where(KbArticle.locale == locale)
    if category_id == 0:
        query = query.where(KbArticle.category_id.is_(None))
    elif category_id:
        query = query.where(KbArticle.category_id == category_id)
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(KbArticle.title).like(like), KbArticle.id == _int_or_none(text)))
    return query.order_by(KbArticle.updated_at.desc(), KbArticle.id.desc())


def _int_or_none(text):
    text = (text or "").strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


def locales_in_use():
    return db.session.scalars(select(KbArticle.locale).distinct().order_by(KbArticle.locale)).all()


# --- categories ---------------------------------------------------------------------------------

def slugify(text):
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")
    return slug[:100]


def parse_names(raw):
    """Lines 'ru: Оплата' → {'ru': 'Оплата'} (the category's name in other languages)."""
    names = {}
    for number, line in enumerate((raw or "").splitlines(), start=1):
        if not line.strip():
            continue
        code, sep, name = line.partition(":")
        locale = normalize_locale(code)
        if not sep or locale is None or not name.strip():
            raise DomainError(_("Line %(n)d: write one “code: name” per line, e.g. “ru: Оплата”.", n=number),
                              field="names")
        names[locale] = name.strip()[:100]
    return names


def save_category(values, category=None):
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError(_("Give the category a name."), field="name")
    if len(name) > 100:
        raise DomainError(_("The name may be %(n)d characters at most.", n=100), field="name")
    slug = slugify(values.get("slug") or "") or slugify(name)
    if not slug:
        raise DomainError(_("Give the category a web address (letters a–z, digits and dashes)."), field="slug")
    taken = db.session.scalar(select(KbCategory.id).where(KbCategory.slug == slug))
    if taken is not None and (category is None or taken != category.id):
        raise DomainError(_("Another category already uses the address “%(slug)s”.", slug=slug), field="slug")
    if category is None:
        category = KbCategory(position=(db.session.scalar(select(func.max(KbCategory.position))) or 0) + 1)
        db.session.add(category)
    category.name, category.slug = name, slug
    category.description = (values.get("description") or "").strip()
    if values.get("position") is not None:
        category.position = int(values["position"])
    category.names = parse_names(values.get("names")) if isinstance(values.get("names"), str) else (
        values.get("names") or category.names or {})
    db.session.flush()
    return category


def delete_category(category):
    """Its articles stay, without a category."""
    ids = db.session.scalars(select(KbArticle.id).where(KbArticle.category_id == category.id)).all()
    db.session.execute(update(KbArticle).where(KbArticle.category_id == category.id).values(category_id=None)
                       .execution_options(synchronize_session=False))
    db.session.delete(category)
    db.session.flush()
    for article_id in ids:
        reindex(article_id)


def ensure_category(name):
    """The category named `name`, created when missing (imports)."""
    name = name.strip()
    category = db.session.scalar(select(KbCategory).where(func.lower(KbCategory.name) == name.lower()))
    if category is None:
        base = slugify(name) or "category"
        slug, n = base, 1
        while db.session.scalar(select(KbCategory.id).where(KbCategory.slug == slug)) is not None:
            n += 1
            slug = f"{base}-{n}"
        category = KbCategory(name=name[:100], slug=slug, description="",
                              position=(db.session.scalar(select(func.max(KbCategory.position))) or 0) + 1, names={})
        db.session.add(category)
        db.session.flush()
    return category
