"""all-MiniLM-L6-v2: the files are the pinned ones, the tokenizer gives BERT's ids, and the 8-bit
graph gives the vectors of the float32 model."""

import base64
import shutil
import sys

import numpy as np
import pytest

from app.nlp import encoders, minilm

# Ids as Hugging Face `tokenizers` gives them with the model's tokenizer.json (the port matched it on
# 17,207 texts: BANKING77, xSID, the translated questions and SIB-200).
IDS = {
    "How do I reset my password?": [101, 2129, 2079, 1045, 25141, 2026, 20786, 1029, 102],
    "I can't activate my card!!": [101, 1045, 2064, 1005, 1056, 20544, 2026, 4003, 999, 999, 102],
    "Ünïcödé naïve café — 退款 123,45 €": [101, 27260, 15743, 7668, 1517, 100, 100, 13138, 1010, 3429, 1574, 102],
    "top-up via Apple Pay failed": [101, 2327, 1011, 2039, 3081, 6207, 3477, 3478, 102],
}

# float16 vectors of the float32 model (sentence-transformers' arithmetic, in numpy).
FLOAT32_MODEL = {
    'How do I reset my password?':
        "Eh8JrJysKah4qYIspSDkI/ArVCSQqdwokirHqVaqAZs0rP0vN6V+rTUgzqbkqQCkAx6jo6yZTyatrluUaSLrJCcn1CY5pIIo1albGtMqRqLdrX6lqa0iKHUtqCbvqN0qdSr9FOku7Rh5oKqlUKyMK0gr8itmK30p8SUYmOynwC5NrAemGJ+KHYsokaalrYuqDq1Zpl8klScrIHiqLyyoL8Os8KWzo8sp5C/gK/4l2ZslIi2pUSqapoiq/KPTrluiBSq1Jy2sginWKTaophwCre0phakkL0ItXKUWJ+8lRKo1IfYrIiQgpGal1CIzJlMnNKlyI1ggU6g7qnKjQqcAgHGs6CBUqYMh9qcXrGojPqwJqkUsuifIIUOpnq0rpPwiTKZ9IDak5SB/pHMjRi3ooTckDqq/J6ioTqiAJMehrSKGIOsj9auEHVUtFqizqW0lHKZhpeIpu6yxKm+NhCc7KzAo1SBFqUSdgZNDHH0lWBwDHJ2pp61ZrOstjiclpkIbqiUIqs4sdqksGd4qfKYwIE+n7iWlrgwqSihTKjKrZyo+lxskPq1pLUCp9CD/I+otmqIyqiSrlaSzLGiv26wAACYMeqzdJcil5CvhpgMgeyk+p9+gyyoXL9wiXaUTMBQtBamwLRSwd5f8rgUrGxpYpXopRJ34JBgtlCCcnbAsWKY6ndEwZirUoB8tRCCDqheobiHMKUydlJlcqjqgMSrTqy4kkCjPpSirPS7VqwaijyQZK9+lGiALrlmnby3voeQpVKXWHwynxabgrVQrvakmL78sVSRZLjKvbKyFKDqtsaUMLt6k1azGqq+sk61JJyEqICqQoFiqz6eRIl8M6h0AgDejUqsfLZwjly33J1yqLiRdrTyuzKkBKIAoMhqBpjiobKo/ouEmZyU+qEibt6LMrCQtBi1xnXQtOCuuoVCnGSJKH1KsLrGCp9undiABpcemNiGeKo8r4yugqpgBoSFdI64mKx9KryUuviV1LNyjHiK7KWeq9q5snQQosiycGeGs",
    'My card payment was declined':
        "aiiFLgcr1yEYqYesGihunf8tjKkhG2qo1iqCFrSrRq1TKPwnPB/yLAun5ShKq7Kfniv1oQus9SjNJEWgtSdXL2UukZ62nPOsE6jnqm2n952rmRIorSbYpZ4oIiT9KNuhcadHLXCnnKJLreCsq610pbkpSKjmnn6txCzzrPaqWyperB0goygIpI2j5qHvLQ2iESxWI7Ig/ykqJlQk6BczpQiphKpSqCsciakppNqhTh+PnHWvNC5XKYuOv6h+osyrTyvLrb+sDCsZLMyhSq0+rJ0mAiNNorklmyeKHLirJKjbKOekyaZpLt0fPyY6JeCd5yKwKeirVKhUraGovJgAgBwpfqk2oG+ttyyapSQqGJhdrGemNKENqfUq2KS1rGYYVqgpJNUs7i82kz+gGCijGiKoPaT3rEis6i16prQdbKvILk0gHywRLEgpNyxSrLyiuChqJm2r5q01KV2lpC9nqsStSygwqn6jJKk7JJ6guqf6HHQsFasjr+KnZq4dp26l65GRqgsgqpZ1r6cmthWeJ20vNSl8KLUhF6ioJvGlmqyorJYh6atjHm8kmS6TL3qhWyxMofGsTqMxJg2oVS8AAB+sNanBqDog/6aWohIkxCwcK2up/S1OJzihyCluK3OgECU8pEwnyqNdIUEtGCUNHdQosSxCKqSnnCjhodMnTJKSrZctly3nFZGqAzCgq62o+6uPJc8sXicxJ5OwDS37rc4tTxDXrgCteyw6KlGmdy1QMWYlbyfipBIhDxVPFkGsoSx4KqYkQCZfLcmnzaSpLCQpqi06LZKdfyaaKzGqYapZLFqb/KrNnvgmvqE2o2Sp3SA4oR4ly5PHLL+joqwAgKurogpdpTolzyZTJDYoHKiMrJyoAxgfJb+hPKgVK/urF5Vur0sfUx61o4CbsakTq32p9pyVMGwrSaOupimmqinKJ8ykFqJsrVWemyTFpNYigZlYIYKlZavQJfwiKKSXp4osHZ1Dp4IkbSxjLOiqhanWJlsn4KSQpFoiDamXpxKp",
}
TEXTS = ["How do I reset my password?", "I forgot my password and cannot log in", "Where is my parcel?",
         "My card payment was declined"]
# Cosines between TEXTS with the float32 model.
FLOAT32_COSINES = {(0, 1): 0.8049, (0, 2): 0.1497, (0, 3): 0.1539, (1, 2): 0.1560, (1, 3): 0.1930, (2, 3): 0.1429}


def test_token_ids_are_berts():
    tokenizer = encoders._minilm_model().tokenizer
    assert {text: tokenizer.encode(text) for text in IDS} == IDS


def test_long_texts_are_cut_at_256_tokens():
    tokenizer = encoders._minilm_model().tokenizer
    ids = tokenizer.encode("password " * 400)
    assert len(ids) == minilm.MAX_TOKENS and ids[0] == tokenizer.cls and ids[-1] == tokenizer.sep
    long, cut = encoders.minilm(["password " * 400, "password " * (minilm.MAX_TOKENS - 2)])
    assert float(long @ cut) > 0.9999
    assert tokenizer.encode("") == [tokenizer.cls, tokenizer.sep]
    assert tokenizer.encode("x" * 101) == [tokenizer.cls, tokenizer.unk, tokenizer.sep]


def test_vectors_agree_with_the_float32_model():
    ours = encoders.minilm(list(FLOAT32_MODEL))
    for row, packed in zip(ours, FLOAT32_MODEL.values()):
        reference = np.frombuffer(base64.b64decode(packed), np.float16).astype(np.float32)
        assert float(row @ reference) / float(np.linalg.norm(reference)) > 0.995
        assert abs(float(np.linalg.norm(row)) - 1) < 1e-5
    vectors = encoders.minilm(TEXTS)
    for (i, j), expected in FLOAT32_COSINES.items():
        assert float(vectors[i] @ vectors[j]) == pytest.approx(expected, abs=0.015)


def test_a_text_gets_the_same_vector_alone_or_in_a_batch(monkeypatch):
    alone = np.stack([encoders.minilm([t])[0] for t in TEXTS])
    np.testing.assert_allclose(encoders.minilm(TEXTS + ["", "  "]), np.vstack([alone, encoders.minilm([" ", " "])]),
                               atol=1e-6)
    monkeypatch.setattr(encoders, "BATCH_MIN", 2)
    monkeypatch.setattr(encoders, "BATCH_THREADS", 2)
    np.testing.assert_allclose(encoders.minilm(TEXTS), alone, atol=1e-6)
    assert encoders.minilm([]).shape == (0, encoders.MINILM_DIM)


def test_an_english_query_is_encoded_by_all_three():
    e5, use, english = encoders.e5_query_use_and_minilm(["Where is my parcel?"])
    np.testing.assert_allclose(e5, encoders.e5_query(["Where is my parcel?"]), atol=1e-6)
    np.testing.assert_allclose(use, encoders.use(["Where is my parcel?"]), atol=1e-6)
    np.testing.assert_allclose(english, encoders.minilm(["Where is my parcel?"]), atol=1e-6)


def test_the_weights_package_is_never_imported():
    encoders._minilm_model()
    assert minilm.PACKAGE not in sys.modules  # its parent project (duckdb, pandas) is not installed


def test_missing_files_give_a_clear_error(tmp_path):
    with pytest.raises(minilm.ModelFilesError, match="model.safetensors is missing.*requirements-models.txt"):
        minilm.MiniLM(tmp_path)


def test_a_different_file_is_refused(tmp_path):
    shutil.copy(minilm.model_dir() / "vocab.txt", tmp_path / "vocab.txt")
    (tmp_path / "model.safetensors").write_bytes(b"\x08" + b"\x00" * 7 + b"{}      ")
    with pytest.raises(minilm.ModelFilesError, match="SHA-256 .* not the expected 53aa5117"):
        minilm.MiniLM(tmp_path)


def test_a_missing_package_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(minilm, "PACKAGE", "tandem_no_such_weights")
    with pytest.raises(minilm.ModelFilesError, match="not installed.*--require-hashes"):
        minilm.model_dir()
