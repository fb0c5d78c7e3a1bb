"""Topic mining: the pure algorithm (numpy in, numpy/dicts out, no database).

The database side (stored vectors, topics, jobs) calls only what is defined here:
`ticket_text` → `embed_tickets` (stored per ticket with VECTOR_VERSION) → `mine` over the stored
vectors → `state_to_dict` (kept with the run) → `attach` for each new ticket; `describe` names a
topic and `match_topics` carries topic identity from one run to the next.
"""

import base64
import re
from dataclasses import dataclass, field

import numpy as np

from app.nlp.e5 import RECIPE as E5_RECIPE

from . import space
from . import cluster
from .describe import background, describe
from .identity import match_topics
from .language import detect_language

__all__ = [
    "VECTOR_VERSION",
    "VECTOR_DIM",
    "MiningResult",
    "attach",
    "background",
    "describe",
    "detect_language",
    "embed_tickets",
    "match_topics",
    "mine",
    "state_from_dict",
    "state_to_dict",
    "ticket_text",
]

# Names the embedding recipe: multilingual-e5-small ("query:" side, its arithmetic named by the
# encoder) + USE multilingual v3. A new e5 recipe makes stored vectors stale by itself.
VECTOR_VERSION = f"q:{E5_RECIPE}+usem3"
VECTOR_DIM = space.DIM
# The subject and opening of the first message carry the problem; the rest is mostly noise.
MAX_TEXT_CHARS = 1000
_SPACES = re.compile(r"\s+")


def ticket_text(subject: str | None, first_message: str | None) -> str:
    """The text a ticket is embedded from: subject and first message, whitespace collapsed."""
    subject = _SPACES.sub(" ", subject or "").strip()
    body = _SPACES.sub(" ", first_message or "").strip()
    if subject and body.lower().startswith(subject.lower()):
        subject = ""
    text = f"{subject}. {body}" if subject and body else subject or body
    return text[:MAX_TEXT_CHARS]


def embed_tickets(texts: list[str], languages: list[str | None]) -> np.ndarray:
    """Raw stored vectors (n, VECTOR_DIM) float32: [e5 | USE], each part unit length."""
    from app.nlp.encoders import e5_query_and_use

    texts = [t or "" for t in texts]
    if not texts:
        return np.zeros((0, VECTOR_DIM), np.float32)
    return np.concatenate(e5_query_and_use(texts), axis=1).astype(np.float32)


@dataclass
class MiningResult:
    labels: np.ndarray  # (n,) int, -1 = in no topic
    centroids: np.ndarray  # (k, d) float32, in the space used for attaching
    language_means: dict  # {language: vector} subtracted before comparing
    attach_threshold: float  # min cosine similarity to attach a new ticket to a centroid
    params: dict = field(default_factory=dict)


def mine(vectors: np.ndarray, languages: list[str | None]) -> MiningResult:
    """Group tickets into topics; the number of topics is found, one-off tickets stay out (-1)."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, VECTOR_DIM)
    langs = space.fill_languages(vectors, (list(languages) + [None] * len(vectors))[: len(vectors)])
    means = space.language_means(vectors, langs)
    rng = np.random.default_rng(cluster.SEED)
    if len(vectors) >= 2:
        fit_rows = rng.choice(len(vectors), min(len(vectors), cluster.SAMPLE), replace=False)
        fit_rows.sort()
        X = space.to_space(vectors[fit_rows], [langs[i] for i in fit_rows], means)
        mean, components = cluster.fit_projection(X, rng)
    else:
        mean, components = np.zeros(VECTOR_DIM, np.float32), np.eye(VECTOR_DIM, dtype=np.float32)
    # Projected in blocks: the full-width comparison space is never held for every ticket at once.
    P = np.zeros((len(vectors), components.shape[0]), np.float32)
    for start in range(0, len(vectors), 10_000):
        block = space.to_space(vectors[start : start + 10_000], langs[start : start + 10_000], means)
        P[start : start + 10_000] = cluster.project(block, mean, components)
    labels = cluster.find_topics(P, rng)
    k = int(labels.max()) + 1 if len(labels) else 0
    # New tickets arrive one by one (no neighbours to smooth with), so attaching compares raw
    # projected vectors with centroids, against a threshold measured the same way.
    centroids = cluster.centroids_of(P, labels, k)
    threshold = cluster.member_threshold(P, labels, centroids) if k else 1.0
    return MiningResult(
        labels=labels,
        centroids=centroids,
        language_means=means,
        attach_threshold=float(threshold),
        params={"projection_mean": mean, "projection": components},
    )


def _encode(array):
    array = np.ascontiguousarray(array, dtype="<f4")
    return {"shape": list(array.shape), "f4": base64.b64encode(array.tobytes()).decode("ascii")}


def _decode(value):
    if isinstance(value, np.ndarray):
        return value.astype(np.float32)
    if isinstance(value, dict) and "f4" in value:
        flat = np.frombuffer(base64.b64decode(value["f4"]), dtype="<f4")
        return flat.reshape(value["shape"]).astype(np.float32)
    return np.asarray(value, dtype=np.float32)


def state_to_dict(result: MiningResult) -> dict:
    """JSON-safe state for attaching later (float32 arrays as base64)."""
    return {
        "vector_version": VECTOR_VERSION,
        "centroids": _encode(result.centroids),
        "language_means": {lang: _encode(vec) for lang, vec in result.language_means.items()},
        "attach_threshold": float(result.attach_threshold),
        "projection_mean": _encode(result.params["projection_mean"]),
        "projection": _encode(result.params["projection"]),
    }


def state_from_dict(d: dict) -> dict:
    """The state `attach` works on (arrays decoded); accepts its own output unchanged too."""
    projection = _decode(d["projection"])
    projection = projection.reshape(-1, VECTOR_DIM)
    return {
        "vector_version": d.get("vector_version", VECTOR_VERSION),
        "centroids": _decode(d["centroids"]).reshape(-1, projection.shape[0]),
        "language_means": {lang: _decode(vec).reshape(-1) for lang, vec in d["language_means"].items()},
        "attach_threshold": float(d["attach_threshold"]),
        "projection_mean": _decode(d["projection_mean"]).reshape(-1),
        "projection": projection,
    }


def attach(vector: np.ndarray, language: str | None, result_state: dict) -> int | None:
    """Index of the topic centroid a new ticket belongs to, or None when none is similar enough."""
    state = result_state if isinstance(result_state.get("centroids"), np.ndarray) else state_from_dict(result_state)
    centroids = state["centroids"]
    if not len(centroids):
        return None
    x = space.to_space(np.asarray(vector, np.float32).reshape(1, VECTOR_DIM), [language or "und"], state["language_means"])
    p = cluster.project(x, state["projection_mean"], state["projection"])[0]
    sims = centroids @ p
    best = int(np.argmax(sims))
    runner_up = float(np.partition(sims, -2)[-2]) if len(sims) > 1 else -1.0
    if sims[best] < state["attach_threshold"] or sims[best] - runner_up < cluster.MIN_MARGIN:
        return None
    return best
