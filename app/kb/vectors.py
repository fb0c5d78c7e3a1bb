"""Passage vectors of one encoder, arranged for scoring articles (`app.kb.engine_core.Corpus`)."""

import numpy as np


def unit(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _principal_axes(rows, k):
    """(axes d×k, rows on them n×k): the k directions that carry most of the rows' spread."""
    _, vectors = np.linalg.eigh((rows.T @ rows).astype(np.float64))
    axes = np.ascontiguousarray(vectors[:, ::-1][:, :k], dtype=np.float32)
    return axes, np.ascontiguousarray(rows @ axes)


class VectorSpace:
    """One encoder's passage vectors, for the articles that have them (all, or the English ones).

    Rows are centred on the index's own mean (what every article shares) and re-normalised, which
    sharpens the differences between articles; queries get the same shift. Per-article scores of
    articles not covered are NaN.
    """

    def __init__(self, rows, counts, n, covered=None, axes=0):
        self.n = n
        self.covered = covered  # article positions of the rows' articles; None: every article, in order
        self.counts = np.array(counts, dtype=np.float32)
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.mean = rows.mean(axis=0)
        self.rows = unit(rows - self.mean)
        # mean(passages) . q is exactly the mean of the passage similarities, the half of the
        # article's score that needs no passage; the other half (its best passage) is >= it.
        self.articles = np.add.reduceat(self.rows, self.starts) / self.counts[:, None]
        if covered is not None:
            self.local = np.full(n, -1, dtype=np.int64)
            self.local[covered] = np.arange(len(covered))
        if axes:  # for a shortlist: whole-article vectors on their `axes` leading principal axes
            self.axes, self.coarse_rows = _principal_axes(self.articles, axes)

    def query(self, vector):
        return unit(np.asarray(vector, dtype=np.float32) - self.mean)

    def _spread(self, values):
        if self.covered is None:
            return values
        out = np.full(self.n, np.nan, dtype=np.float32)
        out[self.covered] = values
        return out

    def per_article(self, q):
        """Best passage plus the mean over passages: the best match, steadied by the whole article."""
        sims = self.rows @ q
        best = np.maximum.reduceat(sims, self.starts)
        mean = np.add.reduceat(sims, self.starts) / self.counts
        return self._spread((best + mean) / 2)

    def coarse(self, q):
        """Whole-article similarities on the leading principal axes (the shortlist)."""
        return self._spread(self.coarse_rows @ (self.axes.T @ q))

    def exact(self, picked, q):
        """per_article(q)[picked], reading only the passages of the picked articles."""
        if self.covered is None:
            local, out = picked, None
        else:
            local = self.local[picked]
            has = local >= 0
            local = local[has]
            out = np.full(len(picked), np.nan, dtype=np.float32)
            if not len(local):
                return out
        counts = self.counts[local].astype(np.int64)
        starts = np.repeat(self.starts[local] - np.cumsum(counts) + counts, counts)
        rows = starts + np.arange(int(counts.sum()))
        bounds = np.concatenate([[0], np.cumsum(counts)[:-1]])
        best = np.maximum.reduceat(self.rows[rows] @ q, bounds)
        values = (best + self.articles[local] @ q) / 2
        if out is None:
            return values
        out[has] = values
        return out
