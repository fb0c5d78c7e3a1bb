"""The sentence encoders: the same vectors whatever the thread count."""

import numpy as np

from app.nlp import encoders

TEXTS = ["My card payment was declined", "Где моя посылка?", "パスワードを忘れました", "退款什麼時候到帳"]


def test_batch_threads_give_the_same_vectors(monkeypatch):
    single = encoders.e5_query(TEXTS)
    monkeypatch.setattr(encoders, "BATCH_MIN", 2)
    monkeypatch.setattr(encoders, "BATCH_THREADS", 2)
    batched = encoders.e5_query(TEXTS)
    assert batched.shape == (len(TEXTS), encoders.E5_DIM)
    np.testing.assert_allclose(batched, single, atol=1e-5)
    # The pool is back to its size afterwards: a single query is unchanged.
    np.testing.assert_allclose(encoders.e5_query(TEXTS[:1]), single[:1], atol=1e-5)


def test_batch_threads_setting():
    assert encoders._batch_threads("auto") >= 1
    assert encoders._batch_threads("3") == 3
    assert encoders._batch_threads("") == encoders.THREADS
    assert encoders._batch_threads(None) == encoders.THREADS
