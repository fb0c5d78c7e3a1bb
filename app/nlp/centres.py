"""Per-language mean e5 vectors, from the hand-written parallel sentences in `reference.py`.

multilingual-e5 vectors carry a strong "which language" component; subtracting the language's
mean (then re-normalising) lets a Russian question land next to the English article that answers
it. The means ship precomputed in `centres.npz` (regenerate: `python -m app.nlp.centres`); if the
file is missing or was made from other sentences they are computed once per process (~3 s).
"""

import hashlib
import json
import threading
from pathlib import Path

import numpy as np

from app.nlp import encoders
from app.nlp.reference import SENTENCES

PATH = Path(__file__).with_name("centres.npz")
_lock = threading.Lock()
_means = None


def _fingerprint():
    return hashlib.sha256(json.dumps(SENTENCES, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _compute():
    per_locale = {loc: encoders.e5_query(texts).mean(axis=0) for loc, texts in SENTENCES.items()}
    means = {
        "en": per_locale["en"], "ru": per_locale["ru"], "bg": per_locale["bg"], "ja": per_locale["ja"],
        # Traditional and Simplified share the code "zh" once detected from the script.
        "zh": (per_locale["zh-Hant"] + per_locale["zh-Hans"]) / 2,
    }
    return {k: v.astype(np.float32) for k, v in means.items()}


def means():
    global _means
    if _means is None:
        with _lock:
            if _means is None:
                loaded = None
                if PATH.exists():
                    data = np.load(PATH)
                    if str(data["fingerprint"]) == _fingerprint():
                        loaded = {k: data[k] for k in data.files if k != "fingerprint"}
                _means = loaded or _compute()
    return _means


def centre_rows(rows, languages):
    """Subtract each row's language mean (rows in a language without a mean stay as they are)."""
    rows = np.asarray(rows, dtype=np.float32)
    if not len(rows):
        return rows
    table = means()
    out = rows.copy()
    languages = list(languages)
    for lang in set(languages):
        mean = table.get(lang)
        if mean is None:
            continue
        mask = np.array([lg == lang for lg in languages])
        out[mask] -= mean
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def save():
    data = _compute()
    np.savez(PATH, fingerprint=np.array(_fingerprint()), **data)
    return PATH


if __name__ == "__main__":
    print(save())
