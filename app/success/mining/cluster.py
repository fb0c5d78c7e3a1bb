"""Finding topics without being told how many, leaving one-off tickets out.

1. Projection: centre the comparison space, drop its first principal axis (a direction shared
   by all support text that mostly encodes style and length), keep the next PROJECTED_DIM axes.
2. Smoothing: each ticket is pulled halfway towards the mean of its NEIGHBOURS nearest tickets
   (as many as the smallest topic holds besides the ticket itself): wording noise is averaged
   away while the problem stays.
3. Core topics: HDBSCAN (density based, finds the number of groups itself and leaves sparse
   tickets out) on at most SAMPLE tickets; near-duplicate groups are merged and members far
   less similar to their centre than members usually are (robust MAD rule) are pruned.
4. Placing the rest: a left-out ticket joins its nearest topic only when it is at least as close
   to it as the least similar accepted member of any topic, and clearly closer (MIN_MARGIN) than
   to the runner-up; the others stay out. With more tickets than SAMPLE, a second round looks for topics among those still left out,
   so topics too small to show in the first sample are found too.
Every parameter is a similarity or a count of tickets, never a number of topics or a share of
tickets to leave out, so they mean the same for 50 tickets or 100,000.
"""

import numpy as np

from app.core import blas

PROJECTED_DIM = 256
DROP_FIRST_AXIS_FROM = 500
NEIGHBOURS = 4  # MIN_TOPIC_SIZE - 1: the nearest tickets that can still be one topic
SMOOTHING = 0.5
MIN_TOPIC_SIZE = 5
MIN_SAMPLES = 5
SAMPLE = 4000
MERGE_SIMILARITY = 0.75
# A left-out ticket joins a topic when at least as similar to it as this quantile of the members
# (0 = the least similar member left after outlier pruning) less PLACE_SLACK, and clearly closer
# than to the next topic. The least similar member alone made the share placed swing by several
# points with tiny changes of the vectors (measured: 15.0-17.6% left out under 0.3% noise; with
# the slack 12.3-14.1%).
MEMBER_QUANTILE = 0.0
PLACE_SLACK = 0.04
MIN_MARGIN = 0.03
ROUNDS = 2
OUTLIER_MADS = 4.0
SEED = 7


def unit(rows):
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-9)).astype(np.float32)


def fit_projection(X, rng):
    """(mean, components): centre and keep principal axes 2..PROJECTED_DIM+1."""
    sample = X[rng.choice(len(X), min(len(X), SAMPLE), replace=False)] if len(X) > SAMPLE else X
    mean = sample.mean(axis=0)
    _, _, vt = np.linalg.svd(sample - mean, full_matrices=False)
    # With few tickets the first axis is a topic, not a shared style direction: keep it then.
    first = 1 if len(sample) >= DROP_FIRST_AXIS_FROM else 0
    components = vt[first : first + PROJECTED_DIM]
    return mean.astype(np.float32), components.astype(np.float32)


def project(X, mean, components):
    return unit((X - mean) @ components.T)


def _top_neighbours(Q, R, k, self_offset=None):
    """Indices of the k most similar rows of R for each row of Q; with self_offset, row i of Q
    is row self_offset + i of R and is not its own neighbour."""
    k = min(k, len(R) - (1 if self_offset is not None else 0))
    if k <= 0:
        return np.zeros((len(Q), 0), np.int64)
    s = Q @ R.T
    if self_offset is not None:
        rows = np.arange(len(s))
        s[rows, rows + self_offset] = -np.inf
    return np.argpartition(-s, k - 1, axis=1)[:, :k]


def smooth(Q, R, exclude_self, block=4096):
    """Each row pulled towards the mean of its NEIGHBOURS nearest rows of R (blocks bound memory).
    exclude_self means Q is R."""
    out = np.empty_like(Q)
    for start in range(0, len(Q), block):
        q = Q[start : start + block]
        nn = _top_neighbours(q, R, NEIGHBOURS, start if exclude_self else None)
        out[start : start + block] = q if nn.shape[1] == 0 else unit((1 - SMOOTHING) * q + SMOOTHING * R[nn].mean(axis=1))
    return out


def _hdbscan(S):
    import warnings

    from sklearn.cluster import HDBSCAN

    blas.apply()  # scipy's own OpenBLAS, loaded with sklearn
    n = len(S)
    if n < MIN_TOPIC_SIZE:
        return np.full(n, -1, np.int64)
    distance = np.clip(1.0 - S @ S.T, 0.0, 2.0).astype(np.float64)
    np.fill_diagonal(distance, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = HDBSCAN(
            min_cluster_size=MIN_TOPIC_SIZE,
            min_samples=min(MIN_SAMPLES, n - 1),
            metric="precomputed",
            copy=False,
        )
        return model.fit_predict(distance).astype(np.int64)


def _sums(S, labels, k):
    from scipy.sparse import csr_matrix

    mask = labels >= 0
    rows = labels[mask]
    onehot = csr_matrix((np.ones(len(rows), np.float32), (rows, np.flatnonzero(mask))), shape=(k, len(S)))
    return np.asarray(onehot @ S, dtype=np.float64)


def centroids_of(S, labels, k):
    if k == 0:
        return np.zeros((0, S.shape[1]), np.float32)
    return unit(_sums(S, labels, k))


def _relabel(labels):
    kept = np.unique(labels[labels >= 0])
    mapping = np.full(labels.max() + 2 if len(labels) else 1, -1, np.int64)
    mapping[kept] = np.arange(len(kept))
    return np.where(labels >= 0, mapping[labels], -1), len(kept)


def merge_close(S, labels):
    """Merge groups whose centroids are near-duplicates (one problem split by wording).

    Works on the groups' vector sums, so each merge costs O(k·d), not a pass over all tickets.
    """
    labels, k = _relabel(labels)
    if k < 2:
        return labels, k
    sums = _sums(S, labels, k)
    target = np.arange(k)
    alive = np.ones(k, bool)
    C = unit(sums)
    sims = C @ C.T
    np.fill_diagonal(sims, -1)
    while True:
        i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[i, j] < MERGE_SIMILARITY:
            break
        sums[i] += sums[j]
        alive[j] = False
        target[target == j] = i
        sims[j, :] = sims[:, j] = -1
        c = unit(sums[i : i + 1])[0]
        row = unit(sums) @ c
        row[~alive] = -1
        row[i] = -1
        sims[i, :] = sims[:, i] = row
    return _relabel(np.where(labels >= 0, target[np.maximum(labels, 0)], -1))


def prune_outliers(S, labels, k):
    """Drop members far less similar to their topic's centre than members usually are.

    On few tickets HDBSCAN can drag a lone ticket into a group; such a member sits many robust
    deviations (MAD) below the typical member similarity, while real members spread narrowly.
    """
    mask = labels >= 0
    if not mask.any():
        return labels
    C = centroids_of(S, labels, k)
    own = np.einsum("ij,ij->i", S[mask], C[labels[mask]])
    median = np.median(own)
    spread = 1.4826 * np.median(np.abs(own - median))
    out = labels.copy()
    idx = np.flatnonzero(mask)
    out[idx[own < median - OUTLIER_MADS * max(spread, 0.01)]] = -1
    return out


def member_threshold(S, labels, C):
    """How similar a ticket must be to a topic's centre to join it: the MEMBER_QUANTILE of the
    members' own similarities, never below the robust outlier bound (one odd member can't lower it)."""
    mask = labels >= 0
    if not mask.any():
        return 1.0
    own = np.einsum("ij,ij->i", S[mask], C[labels[mask]])
    median = np.median(own)
    spread = 1.4826 * np.median(np.abs(own - median))
    return float(max(np.quantile(own, MEMBER_QUANTILE), median - OUTLIER_MADS * max(spread, 0.01)))


def place(S, labels, C, threshold):
    """Put left-out rows into their nearest topic when close and unambiguous."""
    out = labels.copy()
    loose = np.flatnonzero(labels < 0)
    if not len(loose) or not len(C):
        return out
    for start in range(0, len(loose), 8192):
        rows = loose[start : start + 8192]
        sims = S[rows] @ C.T
        best = np.argmax(sims, axis=1)
        top = sims[np.arange(len(rows)), best]
        second = np.partition(sims, -2, axis=1)[:, -2] if sims.shape[1] > 1 else np.full(len(rows), -1.0)
        ok = (top >= threshold) & (top - second >= MIN_MARGIN)
        out[rows[ok]] = best[ok]
    return out


def find_topics(P, rng):
    """Labels for the projected rows P (-1 = no topic): the whole pipeline after projection."""
    n = len(P)
    labels = np.full(n, -1, np.int64)
    if n < MIN_TOPIC_SIZE:
        return labels
    if n <= SAMPLE:
        S = smooth(P, P, exclude_self=True)
    else:
        # Neighbours come from one fixed sample: the same smoothing for every ticket, linear cost.
        S = smooth(P, P[np.sort(rng.choice(n, SAMPLE, replace=False))], exclude_self=False)
    pool = np.arange(n)
    floor = None
    for _round in range(ROUNDS):
        ref = pool if len(pool) <= SAMPLE else np.sort(rng.choice(pool, SAMPLE, replace=False))
        core = _hdbscan(S[ref])
        if (core >= 0).any():
            labels[ref[core >= 0]] = core[core >= 0] + labels.max() + 1
        labels, k = merge_close(S, labels)
        labels, k = _relabel(prune_outliers(S, labels, k))
        if k == 0:
            break
        C = centroids_of(S, labels, k)
        # Later rounds count tickets placed with the slack as members: the first round's bound
        # stays the floor, so the slack is given once, not once per round.
        bound = member_threshold(S, labels, C)
        floor = bound if floor is None else max(floor, bound)
        labels = place(S, labels, C, floor - PLACE_SLACK)
        # Another round only helps when this one saw a sample, not every left-out ticket.
        saw_all = len(ref) == len(pool)
        pool = np.flatnonzero(labels < 0)
        if saw_all or len(pool) < MIN_TOPIC_SIZE:
            break
    labels, _ = _relabel(labels)
    return labels
