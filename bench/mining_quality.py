"""Topic-mining quality on BANKING77 (English) and BANKING77-ml (ru, bg, zh-Hant, ja + English).

    .venv/bin/python -m bench.mining_quality --data ../shared/data [--ablation]

The miner never sees the labels or their number. Prints NMI and ARI over the tickets placed in
topics, the share left out, the number of topics, and for the multilingual set how often two
same-intent questions in different languages share a topic. Vectors are cached in --cache.
"""

import argparse
import csv
import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.success import mining  # noqa: E402

LANG_CODES = {"ru": "ru", "bg": "bg", "zh_hant": "zh-Hant", "ja": "ja"}


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _embed(texts, languages, cache):
    key = hashlib.sha1(("\\n".join(texts) + mining.VECTOR_VERSION).encode()).hexdigest()[:16]
    path = Path(cache) / f"mining-{key}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    vectors = mining.embed_tickets(texts, languages)
    print(f"  encoded {len(texts)} texts in {time.perf_counter() - started:.1f} s", flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def nmi(a, b):
    """Normalised mutual information (arithmetic mean normalisation, as scikit-learn's default)."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1)
    p = table / table.sum()
    pa, pb = p.sum(1), p.sum(0)
    nz = p > 0
    mi = (p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])).sum()
    ha = -(pa[pa > 0] * np.log(pa[pa > 0])).sum()
    hb = -(pb[pb > 0] * np.log(pb[pb > 0])).sum()
    return float(mi / ((ha + hb) / 2)) if ha + hb > 0 else 1.0


def ari(a, b):
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1)
    comb = lambda x: x * (x - 1) / 2  # noqa: E731
    index = comb(table).sum()
    rows, cols, total = comb(table.sum(1)).sum(), comb(table.sum(0)).sum(), comb(table.sum())
    expected = rows * cols / total if total else 0
    top = (rows + cols) / 2 - expected
    return float((index - expected) / top) if top else 1.0


def scores(labels, predicted):
    placed = predicted >= 0
    if placed.sum() < 2:
        return {"nmi": 0.0, "ari": 0.0, "left_out": 1.0, "topics": 0}
    return {
        "nmi": nmi(labels[placed], predicted[placed]),
        "ari": ari(labels[placed], predicted[placed]),
        "left_out": float(1 - placed.mean()),
        "topics": int(len(np.unique(predicted[placed]))),
    }


def _line(name, s, extra=""):
    return f"{name:<44} NMI {s['nmi']:.3f}  ARI {s['ari']:.3f}  left out {s['left_out']:6.1%}  topics {s['topics']:4d}{extra}"


def banking77(data, cache):
    rows = _rows(Path(data) / "banking77" / "test.csv")
    texts = [r["text"] for r in rows]
    labels = np.array([r["label"] for r in rows])
    langs = ["en"] * len(texts)
    return texts, langs, labels, _embed(texts, langs, cache)


def banking77_ml(data, cache):
    texts, langs, labels, pairs = [], [], [], []
    english = {}
    for name, code in LANG_CODES.items():
        for r in _rows(Path(data) / "banking77_ml" / f"{name}_dev.csv"):
            texts.append(r["text"])
            langs.append(code)
            labels.append(r["label"])
            pairs.append(r["text_en"])
    for text_en, label in sorted(set(zip(pairs, labels))):
        english[text_en] = len(texts)
        texts.append(text_en)
        langs.append("en")
        labels.append(label)
    translation_of = [english[p] for p in pairs]  # index of the English original per translation
    return texts, langs, np.array(labels), _embed(texts, langs, cache), translation_of


def cross_language(labels, langs, predicted, translation_of):
    """Share of same-intent pairs in different languages that share a topic (placed ones only)."""
    idx = np.flatnonzero(predicted >= 0)
    same = together = 0
    for i in idx:
        for j in idx:
            if i < j and labels[i] == labels[j] and langs[i] != langs[j]:
                same += 1
                together += predicted[i] == predicted[j]
    exact = [predicted[t] == predicted[e] for t, e in enumerate(translation_of) if predicted[t] >= 0 and predicted[e] >= 0]
    return together / max(same, 1), float(np.mean(exact)) if exact else 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--cache", default=os.environ.get("MINING_BENCH_CACHE", "/tmp/tandem-mining-bench"))
    parser.add_argument("--ablation", action="store_true", help="also print the variants tried")
    args = parser.parse_args(argv)

    print(f"vector recipe {mining.VECTOR_VERSION} ({mining.VECTOR_DIM} dimensions)")
    texts, langs, labels, vectors = banking77(args.data, args.cache)
    started = time.perf_counter()
    result = mining.mine(vectors, langs)
    took = time.perf_counter() - started
    print(_line(f"BANKING77 test ({len(texts)} tickets)", scores(labels, result.labels), f"  ({took:.1f} s)"))

    texts, langs, labels, vectors, translation_of = banking77_ml(args.data, args.cache)
    result = mining.mine(vectors, langs)
    s = scores(labels, result.labels)
    pairs, exact = cross_language(labels, langs, result.labels, translation_of)
    print(_line(f"BANKING77-ml ({len(texts)} tickets, 5 languages)", s))
    print(f"  same-intent pairs in different languages sharing a topic: {pairs:.1%}; translation with its English original: {exact:.1%}")
    for code in sorted(set(langs)):
        mask = np.array([lang == code for lang in langs])
        placed = (result.labels[mask] >= 0).mean()
        print(f"  {code:<8} placed {placed:.1%}")
    if args.ablation:
        from bench.mining_ablation import run_ablation

        run_ablation(args.data, args.cache)


if __name__ == "__main__":
    main()
