"""Per-language mean e5 vectors, from the hand-written parallel sentences in `reference.py`.

multilingual-e5 vectors carry a strong "which language" component; subtracting the language's
mean (then re-normalising) lets a Russian question land next to the English article that answers
it. The sentences are encoded as the search encodes text (Chinese in Simplified characters,
`app.nlp.script`), so Traditional and Simplified Chinese share one mean, "zh".

The means ship precomputed in `centres.npz`; regenerate it after changing the sentences or the
encoder with `python -m app.nlp.centres`. If the file is missing or was made from other sentences
they are computed once per process (~30 s).
"""

import hashlib
import json
from pathlib import Path

import numpy as np

from app.core.loading import once
from app.nlp import encoders, script
from app.nlp.lang import base_language
from app.nlp.reference import SENTENCES

PATH = Path(__file__).with_name("centres.npz")


def _fingerprint():
    # The script conversion changes the vectors as much as the sentences do.
    from app.nlp.e5 import RECIPE

    settings = {"sentences": SENTENCES, "script": "zh-t2s", "encoder": RECIPE}
    return hashlib.sha256(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _compute():
    by_language = {}
    for loc, texts in SENTENCES.items():
        language = base_language(loc)
        rows = encoders.e5_query([script.for_encoder(t, language) for t in texts])
        by_language.setdefault(language, []).append(rows.mean(axis=0))
    return {lang: np.mean(rows, axis=0).astype(np.float32) for lang, rows in by_language.items()}


@once
def means():
    data = np.load(PATH) if PATH.exists() else None
    if data is not None and str(data["fingerprint"]) == _fingerprint():
        return {k: data[k] for k in data.files if k != "fingerprint"}
    return _compute()


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
