"""KB search relevance: R@1, R@5 and MRR on BANKING77, cross-lingual BANKING77 and xSID zh/ja/en.

    .venv/bin/python -m bench.kb_relevance --data ../shared/data [--cache /tmp/kb_rel.npz] [--grid] [--minilm-grid] [--noise 0.003]

Runs the engine's own scoring (`app.kb.engine_core`: the same `build_entries` and `Corpus` the
database-backed engine uses) in memory: articles are encoded by `build_entries`, queries are
encoded in one batch (the engine encodes one at a time; same vectors) and ranked by `Corpus`,
locale boost and minimum score included (a query whose right article falls under the minimum
score counts as a miss). `--noise 0.003` adds that much Gaussian noise to every vector (articles,
queries and the alignment's reference sentences stay as shipped) to check that a result is not
knife-edge: a different build of the same encoder moves vectors by about that much. Labels are only used to score. `--cache` keeps the query vectors between
runs (encoding 4,000 queries takes minutes on 2 cores).
"""

import argparse
import csv
import hashlib
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.kb import engine_core  # noqa: E402
from app.nlp import script  # noqa: E402
from app.nlp.lang import base_language  # noqa: E402

ML_LANGS = [("ru", "ru"), ("bg", "bg"), ("zh_hant", "zh-Hant"), ("ja", "ja")]


def read(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def banking_articles(data):
    first = {}
    for row in read(data / "banking77" / "train.csv"):
        lines = first.setdefault(row["label"], [])
        if len(lines) < 5:
            lines.append(row["text"])
    labels = list(first)
    docs = [(i, label.replace("_", " "), "\n".join(first[label]), "en") for i, label in enumerate(labels)]
    return docs, {label: i for i, label in enumerate(labels)}


def xsid_task(data, lang, locale):
    rows = read(data / "xsid" / f"{lang}_dev.csv")
    by_label = {}
    for row in rows:
        by_label.setdefault(row["label"], []).append(row["text"])
    docs, queries = [], []
    for i, (label, texts) in enumerate(by_label.items()):
        half = len(texts) // 2
        docs.append((i, label.replace("/", " ").replace("_", " "), "\n".join(texts[:half]), locale))
        queries.extend((t, i) for t in texts[half:])
    return docs, queries


class VectorCache:
    def __init__(self, path):
        self.path = Path(path) if path else None
        self.data = dict(np.load(self.path)) if self.path and self.path.exists() else {}

    def encode(self, texts, languages):
        # Keyed by the text the encoders see (Chinese converted to Simplified first) and by what
        # MiniLM reads (English questions, Chinese ones' glosses).
        seen = [script.for_encoder(t, lang) for t, lang in zip(texts, languages)]
        key = hashlib.sha1(json.dumps(seen, ensure_ascii=False).encode()).hexdigest()[:16]
        english = [engine_core.minilm_text(t, lang) for t, lang in zip(texts, languages)]
        key_minilm = f"{key}_minilm_{hashlib.sha1(json.dumps(english, ensure_ascii=False).encode()).hexdigest()[:8]}"
        if key + "_e5" not in self.data or key_minilm not in self.data:
            names = (key + "_e5", key + "_use", key_minilm)
            for name, rows in zip(names, engine_core.encode_queries(texts, languages)):
                self.data[name] = rows
            if self.path:
                np.savez(self.path, **self.data)
        return self.data[key + "_e5"], self.data[key + "_use"], self.data[key_minilm]


def jitter(rows, noise, rng):
    """Rows moved by Gaussian noise of `noise` per component, back to unit length."""
    if not noise:
        return rows
    rows = rows + rng.normal(0, noise, rows.shape).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def make_corpus(docs, noise, rng):
    entries = engine_core.build_entries(docs)
    for e in entries:
        e.e5, e.use = jitter(e.e5, noise, rng), jitter(e.use, noise, rng)
        if e.minilm is not None:
            e.minilm = jitter(e.minilm, noise, rng)
    return engine_core.Corpus(entries)


def collect(corpus, queries, cache, locale, noise=0.0, rng=None):
    """Per query: its signals over all articles (dict of arrays) and the gold position."""
    texts = [q for q, _ in queries]
    languages = [engine_core.query_language(t, locale) for t in texts]
    encoded = cache.encode(texts, languages)
    has_minilm = encoded[2].any(axis=1)  # before the noise: the others' rows are zero, unused
    e5, use, minilm = (jitter(rows, noise, rng) for rows in encoded)
    out = []
    for j, (text, gold) in enumerate(queries):
        vectors = (e5[j], use[j], minilm[j] if has_minilm[j] else None)
        out.append((corpus.signals(text, languages[j], vectors), gold, languages[j]))
    return out


def metrics(corpus, collected, locale, weights=None):
    boost = np.zeros(corpus.n, np.float32)
    if locale:
        boost = engine_core.LOCALE_BOOST * np.array([base_language(loc) == base_language(locale) for loc in corpus.locales])
    ranks = []
    for signals, gold, _lang in collected:
        # A weight set with no signal for this query (MiniLM alone, a question not in English) scores 0.
        fused, floor = (np.broadcast_to(np.asarray(x, dtype=np.float32), (corpus.n,))
                        for x in corpus.fuse_and_floor(signals, weights))
        # As in Corpus.rank: the minimum score is checked before the locale boost.
        below = floor[gold] < engine_core.MIN_SCORE
        fused = fused + boost
        if below:
            ranks.append(np.inf)
            continue
        # Only matches are listed ahead of it (an article under the minimum score is not shown).
        ranks.append(int(((fused > fused[gold]) & (floor >= engine_core.MIN_SCORE)).sum()))
    ranks = np.array(ranks, dtype=float)
    return {"R@1": float((ranks < 1).mean()), "R@5": float((ranks < 5).mean()), "MRR": float((1 / (ranks + 1)).mean())}


ABLATION = {
    "bm25 words": {"terms": 1.0},
    "bm25 char-grams": {"grams": 1.0},
    "e5 (centred)": {"e5": 1.0},
    "USE": {"use": 1.0},
    "MiniLM (English)": {"minilm": 1.0},
    "MiniLM on the gloss (Chinese)": {"gloss": 1.0},
    "e5 + USE": {"e5": engine_core.W_E5, "use": engine_core.W_USE},
    "e5 + USE + MiniLM": {"e5": engine_core.W_E5, "use": engine_core.W_USE, "minilm": engine_core.W_MINILM},
    "fused, no MiniLM": {"terms": engine_core.W_TERMS, "grams": engine_core.W_GRAMS, "e5": engine_core.W_E5,
                         "use": engine_core.W_USE},
    "fused (engine)": None,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data", type=Path)
    parser.add_argument("--cache", help="npz file keeping the query vectors between runs")
    parser.add_argument("--grid", action="store_true", help="also print a small grid of fusion weights")
    parser.add_argument("--minilm-grid", action="store_true",
                        help="also print MiniLM's weight tuned on one half of the BANKING77 questions, scored on the other")
    parser.add_argument("--gloss-grid", action="store_true",
                        help="also print the Chinese gloss's weight on each half of the Traditional Chinese questions")
    parser.add_argument("--noise", type=float, default=0.0, help="Gaussian noise per vector component (e.g. 0.003)")
    parser.add_argument("--seed", type=int, default=0, help="seed of --noise")
    args = parser.parse_args(argv)
    cache = VectorCache(args.cache)
    rng = np.random.default_rng(args.seed)
    started = time.time()

    docs, label_ix = banking_articles(args.data)
    corpus = make_corpus(docs, args.noise, rng)
    tasks = [("banking77 en", corpus, collect(corpus, [(r["text"], label_ix[r["label"]])
                                                      for r in read(args.data / "banking77" / "test.csv")],
                                              cache, "en", args.noise, rng), "en")]
    for name, locale in ML_LANGS:
        rows = read(args.data / "banking77_ml" / f"{name}_dev.csv")
        queries = [(r["text"], label_ix[r["label"]]) for r in rows]
        tasks.append((f"banking77 {name}→en", corpus, collect(corpus, queries, cache, locale, args.noise, rng), locale))
        if name == "zh_hant":
            # The same questions in Simplified characters (OpenCC): a check, not tuned on.
            simplified = [(script.for_encoder(q, "zh"), gold) for q, gold in queries]
            tasks.append(("banking77 zh_hans→en", corpus,
                          collect(corpus, simplified, cache, "zh-Hans", args.noise, rng), "zh-Hans"))
    # xSID English is not among the tasks: a second English check, not used for tuning.
    for lang, locale in [("zh", "zh-Hans"), ("ja", "ja"), ("en", "en")]:
        xdocs, queries = xsid_task(args.data, lang, locale)
        xcorpus = make_corpus(xdocs, args.noise, rng)
        tasks.append((f"xsid {lang}", xcorpus, collect(xcorpus, queries, cache, locale, args.noise, rng), locale))

    print(f"{'task':22} {'queries':>7} {'R@1':>6} {'R@5':>6} {'MRR':>6}")
    for name, corp, collected, locale in tasks:
        m = metrics(corp, collected, locale)
        print(f"{name:22} {len(collected):7d} {m['R@1']:6.3f} {m['R@5']:6.3f} {m['MRR']:6.3f}")
    print("\nablation, R@1 per task (" + ", ".join(t[0] for t in tasks) + ")")
    for label, weights in ABLATION.items():
        r1 = [metrics(corp, collected, locale, weights)["R@1"] for _n, corp, collected, locale in tasks]
        print(f"{label:29} " + " ".join(f"{x:.3f}" for x in r1))
    if args.grid:
        print("\ngrid (terms, grams, e5, use) → R@1 per task")
        for wt, wg, wu in itertools.product([0.05, 0.1, 0.15, 0.2, 0.3], [0, 0.05, 0.1], [0.6]):
            w = {"terms": wt, "grams": wg, "e5": 1.0, "use": wu}
            r1 = [metrics(corp, collected, locale, w)["R@1"] for _n, corp, collected, locale in tasks]
            print(f"{wt:.2f} {wg:.2f} 1.00 {wu:.2f}  " + " ".join(f"{x:.3f}" for x in r1) + f"  min-xl {min(r1[1:6]):.3f}")
    if args.minilm_grid:
        minilm_grid(tasks[0][1], tasks[0][2])
    if args.gloss_grid:
        gloss_grid(next(t for t in tasks if t[0] == "banking77 zh_hant→en"))
    print(f"\n({time.time() - started:.0f} s)")


def minilm_grid(corpus, collected):
    """Split-half check of W_MINILM: the first 20 test questions of each intent tune it, the other
    20 score it, and the reverse."""
    by_gold = {}
    for j, (_signals, gold, _lang) in enumerate(collected):
        by_gold.setdefault(gold, []).append(j)
    halves = [[j for rows in by_gold.values() for j in rows[:20]], [j for rows in by_gold.values() for j in rows[20:]]]
    base = {"terms": engine_core.W_TERMS, "grams": engine_core.W_GRAMS, "e5": engine_core.W_E5, "use": engine_core.W_USE}
    grid = [0, 0.6, 1.0, 1.3, 1.6, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0]
    r1 = {w: [metrics(corpus, [collected[j] for j in half], "en", {**base, "minilm": w})["R@1"] for half in halves]
          for w in grid}
    print("\nMiniLM weight → BANKING77 R@1 (first half, second half, all)")
    for w in grid:
        print(f"{w:5.1f}  {r1[w][0]:.3f} {r1[w][1]:.3f} {metrics(corpus, collected, 'en', {**base, 'minilm': w})['R@1']:.3f}")
    for tune, check in ((0, 1), (1, 0)):
        best = max(grid, key=lambda w: r1[w][tune])
        print(f"tuned on half {tune + 1}: {best} → half {check + 1}: {r1[best][check]:.3f} (without MiniLM {r1[0][check]:.3f})")


def gloss_grid(task):
    """W_GLOSS on the Traditional Chinese questions: all, and each half (the first and the second
    question of every intent)."""
    _name, corpus, collected, locale = task
    by_gold = {}
    for j, (_signals, gold, _lang) in enumerate(collected):
        by_gold.setdefault(gold, []).append(j)
    halves = [[rows[0] for rows in by_gold.values()], [j for rows in by_gold.values() for j in rows[1:]]]
    base = {"terms": engine_core.W_TERMS, "grams": engine_core.W_GRAMS, "e5": engine_core.W_E5, "use": engine_core.W_USE}
    print("\nGloss weight → Traditional Chinese R@1 (first half, second half, all)")
    for w in [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.5, 2.0]:
        r1 = [metrics(corpus, [collected[j] for j in half], locale, {**base, "gloss": w})["R@1"] for half in halves]
        print(f"{w:4.1f}  {r1[0]:.3f} {r1[1]:.3f} {metrics(corpus, collected, locale, {**base, 'gloss': w})['R@1']:.3f}")


if __name__ == "__main__":
    main()
