"""`flask kb import` and `flask kb search` (contracts in DESIGN.md), and `flask kb reindex`."""

import io
import json
import logging
import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.cli.common import fail, import_all_or_nothing
from app.core.locales import normalize_locale
from app.extensions import db

log = logging.getLogger(__name__)

kb = AppGroup("kb", help="Knowledge base: import articles, search, rebuild the search index.")


@kb.command("import")
@click.argument("file", type=click.File("rb"))
def import_command(file):
    """Import and publish articles from a CSV file (UTF-8, first line a header; '-' reads standard input).

    Columns: title, body, category, locale; title and body are required. A category that does not
    exist is created; locale is a code such as en, ru or zh-Hant (default en). Articles are public
    and published, and indexed for search before the command exits.

    All or nothing: any bad row stops the import with "line N: reason" on standard error and
    nothing is written. The header is line 1 and each CSV row is one line.
    """
    from app.kb import engine
    from app.kb.importing import import_articles, parse_article_csv

    ids = import_all_or_nothing(lambda: import_articles(parse_article_csv(file.read())), "article")
    try:
        engine.index_articles(ids)
    except Exception as exc:  # the articles are saved: leave the indexing to the background job
        db.session.rollback()
        log.exception("indexing imported articles failed")
        from app.jobs import enqueue

        for article_id in ids:
            enqueue("kb.index_article", article_id)
        db.session.commit()
        fail(_("imported %(n)d, but indexing them failed (%(error)s); they will be indexed by the job queue",
               n=len(ids), error=exc))
    click.echo(f"imported {len(ids)}")


def _locale_option(ctx, param, value):
    if value is None:
        return None
    code = normalize_locale(value)
    if code is None:
        raise click.BadParameter(_("%(value)r is not a language code such as en, ru or zh-Hant.", value=value))
    return code


def _results(query, locale, limit):
    from app.kb import searching

    return [{"id": r.article.id, "title": r.article.title, "locale": r.article.locale, "score": r.score}
            for r in searching.search(query, locale=locale, limit=limit, audience="public")]


def _print(results, as_json):
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False))
        return
    if not results:
        click.echo(_("No articles match."))
    for r in results:
        click.echo(f"{r['score']:8.4f}  #{r['id']:<6} {r['locale']:<8} {r['title']}")


@kb.command("search")
@click.argument("query")
@click.option("--locale", callback=_locale_option, help="The searcher's language (ranked first, never exclusive).")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="At most 100.")
@click.option("--json", "as_json", is_flag=True, help='Print only [{"id", "title", "locale", "score"}].')
def search_command(query, locale, limit, as_json):
    """Search published public articles, best first. QUERY '-' reads one query per line from
    standard input and prints one result list per line ([] for a blank line)."""
    from app.kb.searching import QUERY_MAX, cut_query

    if query != "-":
        text, was_cut = cut_query(query)
        if was_cut:
            click.echo(_("warning: the query was cut to its first %(n)d characters", n=QUERY_MAX), err=True)
        _print(_results(text, locale, limit), as_json)
        return
    # UTF-8 whatever the terminal's locale says; a bad byte becomes U+FFFD instead of a crash.
    stdin = sys.stdin
    stream = io.TextIOWrapper(stdin.buffer, encoding="utf-8", errors="replace") if hasattr(stdin, "buffer") else stdin
    for number, line in enumerate(stream, start=1):
        text, was_cut = cut_query(line.rstrip("\r\n"))
        if was_cut:
            click.echo(_("warning: line %(line)d: the query was cut to its first %(n)d characters",
                         line=number, n=QUERY_MAX), err=True)
        results = _results(text, locale, limit) if text.strip() else []
        # One line per query even without --json, so the output lines up with the input.
        click.echo(json.dumps(results, ensure_ascii=False))
        sys.stdout.flush()
        db.session.rollback()  # end the read transaction so each query sees the current index


@kb.command("reindex")
def reindex_command():
    """Rebuild every article's search entry: once after an upgrade that changes how articles are
    encoded (the release notes say when). Prints `indexed N`."""
    from app.kb import engine

    click.echo(f"indexed {engine.reindex_all()}")


def register(app):
    app.cli.add_command(kb)
