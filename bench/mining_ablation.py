"""Ablation for bench/mining_quality --ablation: what each step of the miner buys on BANKING77.

Each variant changes one thing of the shipped recipe (app/success/mining/cluster.py) and re-mines
the same cached vectors. The k-means rows are told the true number of topics (77), for reference.
"""

import time
from contextlib import contextmanager



from app.success import mining
from app.success.mining import cluster, space
from bench.mining_quality import _line, banking77, scores


@contextmanager
def _patched(module, **values):
    old = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(module, name, value)


def _kmeans_told_k(vectors, langs, labels, e5_weight):
    from sklearn.cluster import KMeans

    with _patched(space, E5_WEIGHT=e5_weight):
        X = space.to_space(vectors, langs, space.language_means(vectors, langs))
    predicted = KMeans(len(set(labels)), n_init=3, random_state=0).fit_predict(X)
    return scores(labels, predicted)


def run_ablation(data, cache):
    _texts, langs, labels, vectors = banking77(data, cache)
    print("\nAblation on BANKING77 test (one change at a time from the shipped recipe):")
    for name, weight in [("USE only", 0.0), ("e5 only (centred)", 1.0), ("e5 + USE (shipped space)", space.E5_WEIGHT)]:
        print(_line(f"k-means TOLD k=77, {name}", _kmeans_told_k(vectors, langs, labels, weight)))
    variants = [
        ("shipped recipe", space, {}),
        ("no smoothing", cluster, {"SMOOTHING": 0.0}),
        ("keep first principal axis", cluster, {"DROP_FIRST_AXIS_FROM": 10**9}),
        ("no merging of near-duplicates", cluster, {"MERGE_SIMILARITY": 1.01}),
        ("no outlier pruning", cluster, {"OUTLIER_MADS": 1e9}),
        ("HDBSCAN only (nothing placed after)", cluster, {"MEMBER_QUANTILE": 1.0}),
        ("no margin rule (similarity floor only)", cluster, {"MIN_MARGIN": -1.0}),
        ("stricter placing (5% member quantile)", cluster, {"MEMBER_QUANTILE": 0.05}),
        ("min topic size 8", cluster, {"MIN_TOPIC_SIZE": 8, "MIN_SAMPLES": 8, "NEIGHBOURS": 7}),
    ]
    for name, module, values in variants:
        started = time.perf_counter()
        with _patched(module, **values):
            result = mining.mine(vectors, langs)
        print(_line(name, scores(labels, result.labels), f"  ({time.perf_counter() - started:.0f} s)"), flush=True)
