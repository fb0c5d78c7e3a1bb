"""The comparison space: stored raw vectors → language-centred, weighted, unit-length rows.

A stored vector is [e5 (384) | USE (512)], both L2-normalised. e5's raw vectors group tickets by
language, so each language's mean e5 vector is subtracted first (means shrunk towards the overall
mean, so a language with a handful of tickets is not wiped out by its own mean).
"""

import numpy as np

E5_DIM = 384
USE_DIM = 512
DIM = E5_DIM + USE_DIM
# Weight of the e5 part against USE after centring (both renormalised first).
E5_WEIGHT = 0.6
# Pseudo-count of the shrinkage towards the overall mean.
MEAN_PRIOR = 20.0
GLOBAL = "*"


def _unit(rows):
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-9)


def fill_languages(vectors: np.ndarray, languages: list[str | None]) -> list[str]:
    """Unknown languages guessed from the vectors: e5 places each language in its own region,
    so the nearest known language's mean e5 vector names it ("und" when nothing is known)."""
    known = sorted({lang for lang in languages if lang})
    if all(languages) or not known:
        return [lang or "und" for lang in languages]
    e5 = vectors[:, :E5_DIM]
    langs = np.asarray(languages, dtype=object)
    means = _unit(np.stack([e5[langs == lang].mean(axis=0) for lang in known]))
    missing = np.flatnonzero([not lang for lang in languages])
    guesses = np.argmax(e5[missing] @ means.T, axis=1)
    out = list(languages)
    for i, g in zip(missing, guesses):
        out[i] = known[g]
    return out


def language_means(vectors: np.ndarray, languages: list[str]) -> dict[str, np.ndarray]:
    """Mean e5 part per language, with the overall mean under GLOBAL for unseen languages."""
    e5 = vectors[:, :E5_DIM]
    overall = e5.sum(axis=0, dtype=np.float64) / max(len(e5), 1)
    means = {GLOBAL: overall.astype(np.float32)}
    langs = np.asarray(languages, dtype=object)
    for lang in sorted(set(languages)):
        mask = langs == lang
        total = e5[mask].sum(axis=0, dtype=np.float64)
        mean = (total + MEAN_PRIOR * overall) / (mask.sum() + MEAN_PRIOR)
        means[lang] = mean.astype(np.float32)
    return means


def to_space(vectors: np.ndarray, languages: list[str], means: dict[str, np.ndarray]) -> np.ndarray:
    """Rows of the comparison space (float32, unit length)."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, DIM)
    offsets = np.stack([means.get(lang, means[GLOBAL]) for lang in languages]) if len(languages) else np.zeros((0, E5_DIM), np.float32)
    e5 = _unit(vectors[:, :E5_DIM] - offsets)
    use = _unit(vectors[:, E5_DIM:])
    out = np.concatenate([e5 * np.sqrt(E5_WEIGHT), use * np.sqrt(1 - E5_WEIGHT)], axis=1)
    return _unit(out).astype(np.float32)
