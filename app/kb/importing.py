"""Importing articles from CSV (`flask kb import`): every row is checked before anything is written.

Columns: title, body, category, locale (title and body required). Articles are published and
public; a category that does not exist yet is created. The CSV reading (UTF-8 check, one record
per line number, malformed quoting) is the ticket importer's, so both imports number lines alike.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from app.core.locales import normalize_locale
from app.extensions import db
from app.kb import services
from app.models.base import utcnow
from app.models.kb import KbArticle
from app.support.importing import CsvImportError, _decode, _records

COLUMNS = ("title", "body", "category", "locale")
REQUIRED = ("title", "body")


@dataclass
class ArticleRow:
    line: int
    title: str
    body: str
    category: str | None
    locale: str


def _read_header(fields):
    names = [name.strip().lower() for name in fields]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise CsvImportError([(1, _("unknown column %(name)r; the columns are: %(columns)s",
                                    name=unknown[0], columns=", ".join(COLUMNS)))])
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise CsvImportError([(1, _("the column %(name)r appears twice", name=duplicated[0]))])
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise CsvImportError([(1, _("the header has no %(name)s column (title and body are required)",
                                    name=missing[0]))])
    return names


def _clean_row(line, values):
    get = lambda name: (values.get(name) or "").strip()  # noqa: E731
    title, body = get("title"), values.get("body") or ""
    if not title:
        return None, _("the title is empty")
    if len(title) > services.TITLE_MAX:
        return None, _("the title is too long (%(n)d characters; at most %(max)d)", n=len(title),
                       max=services.TITLE_MAX)
    if not body.strip():
        return None, _("the body is empty")
    if len(body) > services.BODY_MAX:
        return None, _("the body is too long (%(n)d characters; at most %(max)d)", n=len(body),
                       max=services.BODY_MAX)
    category = get("category")
    if len(category) > 100:
        return None, _("the category name is too long (at most 100 characters)")
    raw_locale = get("locale")
    locale = normalize_locale(raw_locale) if raw_locale else services.DEFAULT_LOCALE
    if locale is None:
        return None, _("locale %(value)r is not a language code such as en, ru or zh-Hant", value=raw_locale)
    return ArticleRow(line, title, body.strip(), category or None, locale), None


def parse_article_csv(data):
    """Validated rows of an articles CSV (bytes), or CsvImportError naming every bad line."""
    text = _decode(data)
    if not text.strip():
        raise CsvImportError([(None, _("the file is empty; the first line must be the header "
                                       "title,body,category,locale"))])
    records = _records(text)
    _line, header = next(records)
    names = _read_header(header)
    rows, errors = [], []
    for line, fields in records:
        if not fields or (fields == [""] and len(names) > 1):
            continue  # a blank line is not an article
        if len(fields) != len(names):
            errors.append((line, _("expected %(expected)d fields like the header, found %(found)d",
                                   expected=len(names), found=len(fields))))
            continue
        row, problem = _clean_row(line, dict(zip(names, fields)))
        if problem:
            errors.append((line, problem))
        else:
            rows.append(row)
    if errors:
        raise CsvImportError(errors)
    return rows


def import_articles(rows, author=None, now=None):
    """Write the rows as published public articles (flushes, never commits); returns their ids in file order."""
    now = now or utcnow()
    categories = {}
    articles = []
    for row in rows:
        category_id = None
        if row.category:
            key = row.category.lower()
            if key not in categories:
                categories[key] = services.ensure_category(row.category).id
            category_id = categories[key]
        article = KbArticle(title=row.title, body=row.body, locale=row.locale, status="published",
                            visibility="public", category_id=category_id, tags=[], author_id=author,
                            created_at=now, updated_at=now, published_at=now, view_count=0,
                            helpful_yes=0, helpful_no=0)
        db.session.add(article)
        articles.append(article)
    db.session.flush()
    return [a.id for a in articles]
