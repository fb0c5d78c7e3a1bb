"""Knowledge-base search engine: hybrid lexical + multilingual semantic ranking.

The index lives in the database (`kb_article_index`, one row per published article: tokens and
float16 passage vectors, MiniLM ones for English articles, and the recipe they were made with), so
it is the same on SQLite and PostgreSQL. Entries made with another recipe (before an upgrade) keep
serving until the periodic `kb.refresh_stale` job has rebuilt them. Each process keeps an
in-memory `Corpus` (numpy matrices + BM25 postings) built from those rows and rebuilds it when the
token in `kb_index_state` changes, so every web worker serves the same index. Scoring is in
`app.kb.engine_core`.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.core.db import write_lock_on_sqlite
from app.core.locales import normalize_locale
from app.extensions import db
from app.kb import engine_core
from app.models.base import utcnow
from app.models.kb import KbArticle
from app.models.kb_index import KbArticleIndex, KbIndexState

log = logging.getLogger(__name__)

AUDIENCES = ("public", "staff")
BATCH = 64                 # articles encoded per batch when indexing many
LOCK_ATTEMPTS = 200        # a batch waits up to LOCK_ATTEMPTS * LOCK_PAUSE for writers to commit
LOCK_PAUSE = 0.05
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for NOWAIT on a locked row
SYNC_REBUILD_MAX = 5000    # above this many articles a changed index is rebuilt in the background
# One run of the periodic refresh starts no batch after this long: it shares the job worker (and,
# without Redis, the in-process scheduler) with the SLA sweep and mail.
REFRESH_SECONDS = 30
STATE_ID = 1


@dataclass(frozen=True)
class Hit:
    article_id: int
    title: str
    locale: str
    score: float


# --- searching ------------------------------------------------------------------------------------

class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_db = {}          # database url → (token, corpus, public mask)
        self.rebuilding = set()  # database urls with a background rebuild running


_cache = _Cache()


def _db_key():
    return db.engine.url.render_as_string(hide_password=True)


def _current_token():
    return db.session.execute(select(KbIndexState.token).where(KbIndexState.id == STATE_ID)).scalar() or ""


def _load_corpus():
    rows = db.session.execute(select(
        KbArticleIndex.article_id, KbArticleIndex.locale, KbArticleIndex.visibility, KbArticleIndex.title,
        KbArticleIndex.terms, KbArticleIndex.grams, KbArticleIndex.passages, KbArticleIndex.e5,
        KbArticleIndex.use, KbArticleIndex.minilm,
    ).order_by(KbArticleIndex.article_id)).all()
    entries, public = [], []
    for r in rows:
        k = max(int(r.passages), 1)
        e5, use, minilm = (None if raw is None else np.frombuffer(raw, dtype=np.float16).reshape(k, -1)
                           for raw in (r.e5, r.use, r.minilm))
        entries.append(engine_core.Entry(r.article_id, r.locale, r.title, r.terms.split(), r.grams.split(),
                                         e5, use, minilm))
        public.append(r.visibility == "public")
    return engine_core.Corpus(entries), np.array(public, dtype=bool)


def _rebuild_in_background(app, key):
    def run():
        try:
            with app.app_context():
                token = _current_token()
                corpus, public = _load_corpus()
                db.session.rollback()
            with _cache.lock:
                _cache.by_db[key] = (token, corpus, public)
        except Exception:  # noqa: BLE001 - the old index keeps serving; the next search retries
            log.exception("kb index rebuild failed")
        finally:
            with _cache.lock:
                _cache.rebuilding.discard(key)

    threading.Thread(target=run, name="kb-index-rebuild", daemon=True).start()


def _corpus():
    """(corpus, public mask, fresh): the index for this database, rebuilt when it changed."""
    key = _db_key()
    token = _current_token()
    cached = _cache.by_db.get(key)
    if cached is not None and cached[0] == token:
        return cached[1], cached[2], True
    if cached is not None and cached[1].n > SYNC_REBUILD_MAX:
        # A big index: keep answering from the old copy (checked against the live rows) while a
        # thread loads the new one, instead of stalling this request for seconds.
        with _cache.lock:
            start = key not in _cache.rebuilding
            _cache.rebuilding.add(key)
        if start:
            _rebuild_in_background(current_app._get_current_object(), key)
        return cached[1], cached[2], False
    corpus, public = _load_corpus()
    with _cache.lock:
        _cache.by_db[key] = (token, corpus, public)
    return corpus, public, True


def search(query: str, *, locale: str | None = None, limit: int = 10, audience: str = "public") -> list[Hit]:
    """Published articles best first; 'public' audience: public ones only, 'staff': internal too.

    The searcher's locale ranks that language's articles higher but never filters the others out.
    Blank query → []. Odd input (very long, mixed scripts, emoji, bad locale) never raises.
    """
    if not isinstance(query, str) or not query.strip():
        return []
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        limit = 10
    if limit <= 0:
        return []
    try:
        locale = normalize_locale(locale) if locale else None
    except Exception:  # noqa: BLE001 - an unknown locale just gives no boost
        locale = None
    corpus, public, fresh = _corpus()
    if not corpus.n:
        return []
    allowed = public if audience != "staff" else None
    ranked = corpus.rank(query, locale=locale, limit=limit if fresh else limit * 2, allowed=allowed)
    hits = [Hit(int(corpus.ids[i]), corpus.entries[i].title, corpus.entries[i].locale, round(s, 4)) for i, s in ranked]
    if not fresh and hits:
        hits = _still_visible(hits, audience)[:limit]
    return hits


def _still_visible(hits, audience):
    conditions = [KbArticle.id.in_([h.article_id for h in hits]), KbArticle.status == "published"]
    if audience != "staff":
        conditions.append(KbArticle.visibility == "public")
    live = set(db.session.scalars(select(KbArticle.id).where(*conditions)))
    return [h for h in hits if h.article_id in live]


# --- indexing -------------------------------------------------------------------------------------

def bump_token():
    token = str(uuid.uuid4())
    done = db.session.execute(
        update(KbIndexState).where(KbIndexState.id == STATE_ID).values(token=token, updated_at=utcnow())
    ).rowcount
    if not done:
        try:
            with db.session.begin_nested():
                db.session.add(KbIndexState(id=STATE_ID, token=token, updated_at=utcnow()))
        except IntegrityError:  # another process created it meanwhile
            db.session.execute(update(KbIndexState).where(KbIndexState.id == STATE_ID).values(token=token))


def index_articles(article_ids, announce=True) -> None:
    """Recompute the index entries of these articles (drop those unpublished or gone); commits.
    `announce=False`: web processes are not told to reload (the caller does it once at the end)."""
    ids = sorted({int(i) for i in article_ids})
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        articles = db.session.scalars(select(KbArticle).where(KbArticle.id.in_(chunk))).all()
        published = [a for a in articles if a.status == "published"]
        read = {a.id: a.updated_at for a in published}
        visibility = {a.id: a.visibility for a in published}
        entries = dict(zip(read, engine_core.build_entries((a.id, a.title, a.body, a.locale) for a in published)))
        # Nothing is written until the batch is encoded (which takes seconds), and then under a
        # lock: SQLite's write lock, or on PostgreSQL the articles' rows until the commit. An
        # article saved or deleted meanwhile has a job of its own; writing what was read before
        # would undo it.
        now = _lock_articles(chunk)
        unchanged = {i for i, at in read.items() if now.get(i) == (at, "published")}
        gone = [i for i in chunk if i not in read and (i not in now or now[i][1] != "published")]
        if gone:
            db.session.execute(delete(KbArticleIndex).where(KbArticleIndex.article_id.in_(gone)))
        rows = {row.article_id: row for row in db.session.scalars(
            select(KbArticleIndex).where(KbArticleIndex.article_id.in_(unchanged)))} if unchanged else {}
        for article_id in sorted(unchanged):
            values = entry_values(entries[article_id], visibility[article_id])
            row = rows.get(article_id)
            if row is None:
                db.session.add(KbArticleIndex(article_id=article_id, **values))
            else:  # replaced in place: a second job indexing it at the same time just writes last
                for name, value in values.items():
                    setattr(row, name, value)
        if announce:
            bump_token()
        db.session.commit()


def _lock_articles(ids):
    """{id: (updated_at, status)} of those articles that still exist, their rows locked until the
    commit against saves and deletions (FOR NO KEY UPDATE: votes and clicks, which only refer to
    an article, go on). On PostgreSQL a job never waits for a row lock: a request saving two
    articles (a translation, then its original) takes them in its own order, so a job holding one
    and waiting for the other would deadlock with it. The job lets go and tries again instead;
    after LOCK_ATTEMPTS it fails, and the requeue job runs it again later."""
    write_lock_on_sqlite()
    query = (select(KbArticle.id, KbArticle.updated_at, KbArticle.status).where(KbArticle.id.in_(ids))
             .order_by(KbArticle.id).with_for_update(nowait=True, key_share=True))
    for attempt in range(LOCK_ATTEMPTS):
        try:
            return {i: (at, status) for i, at, status in db.session.execute(query)}
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE or attempt == LOCK_ATTEMPTS - 1:
                raise
            db.session.rollback()  # the batch has written nothing yet
            time.sleep(LOCK_PAUSE)


def entry_values(entry, visibility, now=None):
    """The `kb_article_index` columns of one entry (vectors as float16 bytes)."""
    return dict(
        locale=entry.locale or "", visibility=visibility or "public", title=entry.title or "",
        terms=" ".join(entry.terms), grams=" ".join(entry.grams), passages=len(entry.e5),
        e5=entry.e5.astype(np.float16).tobytes(), use=entry.use.astype(np.float16).tobytes(),
        minilm=None if entry.minilm is None else entry.minilm.astype(np.float16).tobytes(),
        recipe=engine_core.recipe(), indexed_at=now or utcnow(),
    )


def index_article(article_id: int) -> None:
    index_articles([article_id])


def stale_article_ids():
    """Articles whose entry was made with another recipe (or before entries recorded one)."""
    recipe = KbArticleIndex.recipe
    current = engine_core.recipe()
    # Two ranges rather than `!=`, and no ORDER BY, so both databases read them from the recipe's
    # index (ordered by id, SQLite scans the table, vectors and all).
    return sorted(db.session.scalars(
        select(KbArticleIndex.article_id)
        .where(or_(recipe.is_(None), recipe < current, recipe > current))
        .limit(BATCH)))


def refresh_stale(seconds=REFRESH_SECONDS, clock=time.monotonic) -> int:
    """Rebuild stale entries a batch at a time (each batch commits, so a stopped run loses at most
    one), starting no batch after `seconds`; returns how many were rebuilt. Until then the old
    entries serve: their vectors are close, and an English one without MiniLM vectors is scored
    on the others. Web processes reload the index once per run, not per batch (a large index
    takes them seconds to load)."""
    started, done = clock(), 0
    while clock() - started < seconds:
        ids = stale_article_ids()
        if not ids:
            break
        index_articles(ids, announce=False)  # each entry gets the current recipe, or is dropped
        done += len(ids)
    if done:
        bump_token()
        db.session.commit()
    return done


def reindex_all() -> int:
    """Rebuild every entry (after an encoder or tokenizer change); returns the number indexed."""
    ids = list(db.session.scalars(select(KbArticle.id)))
    stale = db.session.scalars(select(KbArticleIndex.article_id)).all()
    index_articles(set(ids) | set(stale))
    return db.session.execute(select(db.func.count()).select_from(KbArticleIndex)).scalar()
