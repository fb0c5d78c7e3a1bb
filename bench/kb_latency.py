"""KB search latency with 20,000 articles in five languages: engine, API and suggestions.

    .venv/bin/python -m bench.kb_latency [--database-url URL] [--articles 20000] [--queries 200]

Fills a fresh database (a temporary SQLite file by default; with --database-url, a PostgreSQL
database that this script DROPS and creates afresh) with generated articles in en, ru, bg, zh-Hant and ja and
their index rows, then times `engine.search`, `GET /api/v1/kb/search` and `GET /kb/suggest` through
the Flask test client, with distinct queries each time (the query is encoded on every call, as in
production; the cache of recent query vectors is emptied before each call). Articles are built from a pool of generated sentences, so their vectors are encoded
once per distinct sentence (encoding 100,000 passages would take an hour on 2 cores); search cost
does not depend on how the stored vectors were made.
"""

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bulk import fresh_postgres  # noqa: E402  (after the path: `python bench/kb_latency.py` too)

VOCAB = {
    "en": {
        "things": ["invoice", "password", "export", "report", "dashboard", "mobile app", "API token", "team member",
                   "subscription", "refund", "delivery", "calendar", "notification", "attachment", "integration",
                   "two-factor login", "billing address", "data import", "webhook", "custom field"],
        "title": ["How to change the {t}", "Fixing problems with the {t}", "Setting up the {t}", "Why the {t} is missing",
                  "Managing your {t}", "Troubleshooting the {t}"],
        "lines": ["Open Settings and choose {t} to see the current options.",
                  "If the {t} does not load, clear the browser cache and sign in again.",
                  "Only admins can change the {t} for the whole team.",
                  "The {t} is updated every night; changes appear the next morning.",
                  "Contact support with the error message if the {t} still fails.",
                  "You can undo a change to the {t} within 30 days.",
                  "On the mobile app, the {t} is under the profile menu.",
                  "A failed {t} sends an e-mail to the account owner."],
        "queries": ["my {t} is not working", "where can I find the {t}", "can't change {t}", "{t} missing after update",
                    "how do I reset the {t}", "problem with {t} on phone", "{t} error again today", "who can edit the {t}"],
    },
    "ru": {
        "things": ["счёт", "пароль", "выгрузка", "отчёт", "панель", "мобильное приложение", "токен API", "сотрудник",
                   "подписка", "возврат", "доставка", "календарь", "уведомление", "вложение", "интеграция",
                   "двухфакторный вход", "адрес оплаты", "импорт данных", "вебхук", "поле"],
        "title": ["Как изменить: {t}", "Проблемы: {t}", "Настройка: {t}", "Почему пропал {t}", "Управление: {t}"],
        "lines": ["Откройте настройки и выберите «{t}», чтобы увидеть параметры.",
                  "Если {t} не загружается, очистите кэш браузера и войдите снова.",
                  "Только администраторы могут менять {t} для всей команды.",
                  "{t} обновляется каждую ночь, изменения видны утром.",
                  "Напишите в поддержку и приложите текст ошибки, если {t} не работает.",
                  "В мобильном приложении {t} находится в меню профиля."],
        "queries": ["не работает {t}", "где найти {t}", "не могу изменить {t}", "{t} пропал после обновления",
                    "как сбросить {t}", "ошибка {t} на телефоне"],
    },
    "bg": {
        "things": ["фактура", "парола", "експорт", "отчет", "табло", "мобилно приложение", "API ключ", "служител",
                   "абонамент", "възстановяване", "доставка", "календар", "известие", "прикачен файл"],
        "title": ["Как да промените: {t}", "Проблеми с: {t}", "Настройка на: {t}", "Управление на: {t}"],
        "lines": ["Отворете настройките и изберете „{t}“, за да видите опциите.",
                  "Ако {t} не се зарежда, изчистете кеша на браузъра и влезте отново.",
                  "Само администраторите могат да променят {t} за целия екип.",
                  "{t} се обновява всяка нощ и промените се виждат сутринта.",
                  "Пишете на поддръжката с текста на грешката, ако {t} не работи."],
        "queries": ["не работи {t}", "къде да намеря {t}", "не мога да сменя {t}", "грешка с {t} на телефона"],
    },
    "zh-Hant": {
        "things": ["發票", "密碼", "匯出", "報表", "儀表板", "手機應用程式", "API 權杖", "團隊成員", "訂閱", "退款",
                   "配送", "行事曆", "通知", "附件", "整合"],
        "title": ["如何變更{t}", "{t}的常見問題", "設定{t}", "為什麼{t}不見了", "管理{t}"],
        "lines": ["打開設定並選擇{t}即可查看目前的選項。", "如果{t}無法載入，請清除瀏覽器快取後重新登入。",
                  "只有管理員可以為整個團隊變更{t}。", "{t}每天晚上更新，變更會在隔天早上出現。",
                  "如果{t}仍然失敗，請將錯誤訊息提供給客服。"],
        "queries": ["{t}不能用", "哪裡可以找到{t}", "無法變更{t}", "更新後{t}不見了", "手機上的{t}出錯"],
    },
    "ja": {
        "things": ["請求書", "パスワード", "エクスポート", "レポート", "ダッシュボード", "モバイルアプリ", "APIトークン",
                   "チームメンバー", "サブスクリプション", "返金", "配送", "カレンダー", "通知", "添付ファイル", "連携"],
        "title": ["{t}を変更する方法", "{t}のトラブル", "{t}の設定", "{t}が表示されない理由", "{t}の管理"],
        "lines": ["設定を開いて{t}を選ぶと現在の設定が表示されます。", "{t}が読み込まれない場合はキャッシュを消去して再ログインしてください。",
                  "チーム全体の{t}を変更できるのは管理者だけです。", "{t}は毎晩更新され、翌朝に反映されます。",
                  "それでも{t}が失敗する場合はエラーメッセージをサポートに送ってください。"],
        "queries": ["{t}が使えない", "{t}はどこにありますか", "{t}を変更できない", "アップデート後に{t}が消えた"],
    },
}
LANG_SHARE = {"en": 0.5, "ru": 0.15, "bg": 0.1, "zh-Hant": 0.1, "ja": 0.15}


def generate(n, rng):
    articles = []
    locales = list(LANG_SHARE)
    weights = [LANG_SHARE[loc] for loc in locales]
    for i in range(n):
        loc = rng.choices(locales, weights)[0]
        v = VOCAB[loc]
        thing = rng.choice(v["things"])
        other = rng.choice(v["things"])
        title = rng.choice(v["title"]).format(t=thing)
        lines = rng.sample(v["lines"], k=min(len(v["lines"]), rng.randint(3, 5)))
        body = "\n".join(line.format(t=thing if j % 2 == 0 else other) for j, line in enumerate(lines))
        articles.append(dict(title=title, body=body, locale=loc,
                             visibility="internal" if rng.random() < 0.1 else "public"))
    return articles


def queries(n, rng):
    out = []
    locales = list(LANG_SHARE)
    while len(out) < n:
        loc = rng.choice(locales)
        v = VOCAB[loc]
        q = rng.choice(v["queries"]).format(t=rng.choice(v["things"]))
        if rng.random() < 0.3:
            q = q + " " + rng.choice(["please help", "urgent", "again", "since yesterday", "?", "!!"])
        out.append((f"{q} {len(out)}" if loc == "en" and rng.random() < 0.2 else q, loc))
    return out


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def memo_encoders():
    """Encode each distinct passage once while building the generated index."""
    from app.nlp import encoders

    cache = {}

    def wrap(name, fn):
        def encode(texts):
            texts = list(texts)
            missing = sorted({t for t in texts if (name, t) not in cache})
            if missing:
                for t, v in zip(missing, fn(missing)):
                    cache[(name, t)] = v
            dim = {"e5": encoders.E5_DIM, "use": encoders.USE_DIM, "minilm": encoders.MINILM_DIM}[name]
            return np.array([cache[(name, t)] for t in texts], dtype=np.float32).reshape(-1, dim)
        return encode

    return {"e5_query": wrap("e5", encoders.e5_query), "use": wrap("use", encoders.use),
            "minilm": wrap("minilm", encoders.minilm)}


def fill(app, n, rng):
    from sqlalchemy import insert

    from app.extensions import db
    from app.kb import engine, engine_core
    from app.models.base import utcnow
    from app.models.kb import KbArticle
    from app.models.kb_index import KbArticleIndex

    docs = generate(n, rng)
    now = utcnow()
    started = time.time()
    with app.app_context():
        db.session.execute(insert(KbArticle), [dict(d, status="published", tags=[], created_at=now, updated_at=now,
                                                    published_at=now) for d in docs])
        db.session.commit()
        rows = db.session.execute(db.select(KbArticle.id, KbArticle.title, KbArticle.body, KbArticle.locale,
                                            KbArticle.visibility).order_by(KbArticle.id)).all()
        memo = memo_encoders()
        real = {name: getattr(engine_core.encoders, name) for name in memo}
        for name, fn in memo.items():
            setattr(engine_core.encoders, name, fn)
        try:
            for start in range(0, len(rows), 2000):
                chunk = rows[start:start + 2000]
                entries = engine_core.build_entries((r.id, r.title, r.body, r.locale) for r in chunk)
                db.session.execute(insert(KbArticleIndex), [dict(
                    article_id=e.article_id, **engine.entry_values(e, r.visibility, now),
                ) for e, r in zip(entries, chunk)])
            engine.bump_token()
            db.session.commit()
        finally:
            for name, fn in real.items():
                setattr(engine_core.encoders, name, fn)
    return time.time() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL database to use, dropped and created afresh "
                                                "(default: SQLite in a temporary folder)")
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    url = args.database_url
    tmp = None
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        fresh_postgres(url)  # dropped and created afresh (a missing one is created)
    else:
        tmp = tempfile.mkdtemp(prefix="kb-latency-")
        url = f"sqlite:///{tmp}/bench.db"

    from flask_migrate import upgrade

    from app import create_app
    from app.kb import engine, engine_core
    from app.nlp import encoders
    from app.nlp import gloss, lang

    app = create_app({"TANDEM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": False, "SCHEDULER_IN_PROCESS": False, "MAIL_SERVER": None,
                      "WTF_CSRF_ENABLED": False, "SERVER_NAME": None})
    with app.app_context():
        upgrade()
    encoders.e5_query(["warm up"]), encoders.use(["warm up"]), encoders.minilm(["warm up"])
    lang.warm(), gloss.warm()
    fill_s = fill(app, args.articles, rng)
    with app.app_context():
        from app.extensions import db

        # As the other benchmarks: statistics and visibility maps up to date, so autovacuum does
        # not start on the freshly loaded tables in the middle of the timed searches.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE")
    print(f"database: {url.split('@')[-1]}  articles: {args.articles} (filled and indexed in {fill_s:.0f} s)")

    with app.app_context():
        t = time.perf_counter()
        engine.search("warm up the index", locale="en")
        cold = time.perf_counter() - t
        corpus = engine._cache.by_db[engine._db_key()][1]
        matrices = corpus.vector_bytes() / 2**20
        english = len(corpus.spaces["minilm"].rows) if "minilm" in corpus.spaces else 0
        print(f"first search (loads {corpus.n} entries, {corpus.passages} passages, {english} with MiniLM vectors, "
              f"{matrices:.0f} MiB of vectors): {cold * 1000:.0f} ms")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (models + index + app): {rss:.0f} MiB")

    qs = queries(args.queries * 3, rng)
    client = app.test_client()
    results = {}
    with app.app_context():
        times, hits = [], 0
        for q, loc in qs[: args.queries]:
            engine_core._encode_query.cache_clear()
            t = time.perf_counter()
            found = engine.search(q, locale=loc, limit=10)
            times.append(time.perf_counter() - t)
            hits += bool(found)
        results["engine.search"] = times
        languages = [engine_core.query_language(q, loc) for q, loc in qs[: args.queries]]
        for label, kind in (("English questions ({}, e5 + USE + MiniLM)", "en"),
                            ("Chinese questions ({}, e5 + USE + MiniLM on the gloss)", "zh"),
                            ("other languages ({}, e5 + USE)", None)):
            picked = [x for x, lg in zip(times, languages) if lg == kind or (kind is None and lg not in ("en", "zh"))]
            results["  " + label.format(len(picked))] = picked
        print(f"queries with at least one hit: {hits}/{args.queries}")
        # Query encoding alone, as a search does it, for the breakdown.
        enc, mini = [], []
        for q, loc in qs[: args.queries]:
            language = engine_core.query_language(q, loc)
            engine_core._encode_query.cache_clear()
            t = time.perf_counter()
            engine_core._encode_query(q, language)
            enc.append(time.perf_counter() - t)
            if language == engine_core.ENGLISH:
                t = time.perf_counter()
                encoders.minilm([q])
                mini.append(time.perf_counter() - t)
        results["  of which: encoding the query (e5 beside the others)"] = enc
        results["  MiniLM alone, English questions"] = mini
        if corpus.shortlisting:
            same_first = overlap = 0
            for q, loc in qs[: args.queries]:
                short = [i for i, _ in corpus.rank(q, locale=loc, limit=10)]
                corpus.shortlisting = False
                full = [i for i, _ in corpus.rank(q, locale=loc, limit=10)]
                corpus.shortlisting = True
                same_first += short[:1] == full[:1]
                overlap += len(set(short) & set(full)) / max(len(full), 1)
            print(f"shortlist ({engine_core.SHORTLIST} articles by whole-article vectors) vs scoring every passage: "
                  f"same first hit {same_first}/{args.queries}, top-10 overlap {overlap / args.queries:.3f}")
    for label, path, batch in [("GET /api/v1/kb/search", "/api/v1/kb/search", qs[args.queries: 2 * args.queries]),
                               ("GET /kb/suggest", "/kb/suggest", qs[2 * args.queries:])]:
        times, status = [], {}
        for q, loc in batch:
            engine_core._encode_query.cache_clear()  # every timed call encodes its query
            t = time.perf_counter()
            response = client.get(path, query_string={"q": q, "locale": loc})
            times.append(time.perf_counter() - t)
            status[response.status_code] = status.get(response.status_code, 0) + 1
        results[f"{label} {status}"] = times
    print(f"\n{'what':56} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for label, times in results.items():
        ms = [x * 1000 for x in times]
        print(f"{label:56} {statistics.median(ms):7.1f} {pct(ms, 95):7.1f} {max(ms):7.1f}")
    if tmp:
        for name in os.listdir(tmp):
            os.remove(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
