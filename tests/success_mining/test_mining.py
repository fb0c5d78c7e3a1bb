import json

import numpy as np
import pytest

from app.success import mining


def _topics(groups, labels):
    """{expected group: set of topic labels its tickets landed in}."""
    found = {}
    for group, label in zip(groups, labels):
        if group:
            found.setdefault(group, set()).add(int(label))
    return found


def test_recurring_problems_become_topics_across_languages(corpus):
    texts, langs, groups, vectors = corpus
    result = mining.mine(vectors, langs)
    labels = result.labels
    assert labels.shape == (len(texts),)
    found = _topics(groups, labels)
    main = {}
    for group, topic_labels in found.items():
        in_group = [int(lbl) for g, lbl in zip(groups, labels) if g == group]
        topic = max(set(in_group), key=in_group.count)
        assert topic >= 0, f"{group} tickets were not grouped"
        # Most of the group lands in one topic, including its non-English tickets.
        assert in_group.count(topic) >= len(in_group) - 2
        main[group] = topic
    assert len(set(main.values())) == 3, "three different problems must be three topics"
    # The Russian and Japanese card tickets sit with the English ones.
    for lang in ("ru", "ja"):
        idx = [i for i, (g, lg) in enumerate(zip(groups, langs)) if g == "card" and lg == lang]
        assert any(labels[i] == main["card"] for i in idx)


def test_unknown_languages_are_guessed_from_the_vectors(corpus):
    texts, langs, groups, vectors = corpus
    # Only English is declared; the others are recognised from where e5 places them.
    declared = [lang if lang == "en" else None for lang in langs]
    labels = mining.mine(vectors, declared).labels
    card = [int(lbl) for g, lbl in zip(groups, labels) if g == "card"]
    assert max(card.count(t) for t in set(card) if t >= 0) >= len(card) - 2


def test_one_off_tickets_stay_out(corpus):
    texts, langs, groups, vectors = corpus
    labels = mining.mine(vectors, langs).labels
    one_offs = [int(lbl) for g, lbl in zip(groups, labels) if g is None]
    assert one_offs == [-1, -1, -1]


def test_attach_new_tickets_through_json_state(corpus):
    texts, langs, groups, vectors = corpus
    result = mining.mine(vectors, langs)
    state = mining.state_from_dict(json.loads(json.dumps(mining.state_to_dict(result))))
    card_topic = int(np.bincount(result.labels[[g == "card" for g in groups]][result.labels[[g == "card" for g in groups]] >= 0]).argmax())
    new = mining.embed_tickets(
        ["My replacement card still has not arrived", "Моя карта так и не пришла", "What is the capital of Peru?"],
        ["en", "ru", None],
    )
    assert mining.attach(new[0], "en", state) == card_topic
    assert mining.attach(new[1], "ru", state) == card_topic
    assert mining.attach(new[2], None, state) is None


@pytest.mark.parametrize("count", [0, 1, 2])
def test_tiny_inputs_do_not_fail(count, corpus):
    vectors = corpus[3][:count]
    result = mining.mine(vectors, corpus[1][:count])
    assert result.labels.shape == (count,)
    assert (result.labels == -1).all()
    state = mining.state_from_dict(json.loads(json.dumps(mining.state_to_dict(result))))
    assert mining.attach(corpus[3][0], "en", state) is None


def test_empty_huge_and_mixed_texts_embed_and_mine():
    texts = [
        mining.ticket_text(None, None),
        mining.ticket_text("", "   "),
        mining.ticket_text("Export fails", "x" * 200_000),
        mining.ticket_text("Ошибка 500", "Export to CSV fails with エラー and 错误 and error"),
        mining.ticket_text("🙂🙂", "\u200b\t\n"),
    ]
    assert all(len(t) <= mining.MAX_TEXT_CHARS for t in texts)
    vectors = mining.embed_tickets(texts, [None] * len(texts))
    assert vectors.shape == (len(texts), mining.VECTOR_DIM)
    assert vectors.dtype == np.float32 and np.isfinite(vectors).all()
    result = mining.mine(vectors, [None] * len(texts))
    assert result.labels.shape == (len(texts),)


def test_ticket_text_joins_subject_and_body():
    assert mining.ticket_text("Card missing", "Hello,\n\nmy card   never came") == "Card missing. Hello, my card never came"
    assert mining.ticket_text("Card missing", "Card missing since May") == "Card missing since May"
    assert mining.ticket_text(None, "Only a body") == "Only a body"


def test_detect_language_by_script():
    assert mining.detect_language("My card never arrived") == "en"
    assert mining.detect_language("Моя карта не пришла, объясните") == "ru"
    assert mining.detect_language("Все още чакам картата си, моля помогнете") == "bg"
    # No ъ, "ще" or "моля": told apart by the n-gram model (the letter rules said Russian).
    assert mining.detect_language("Не мога да вляза в приложението от новия телефон") == "bg"
    assert mining.detect_language("Не могу войти в приложение с нового телефона") == "ru"
    assert mining.detect_language("カードがまだ届きません") == "ja"
    assert mining.detect_language("我還在等我的卡，這是怎麼回事") == "zh-Hant"
    assert mining.detect_language("我还在等我的卡，这是怎么回事") == "zh-Hans"
    assert mining.detect_language("12345 !!!") is None
