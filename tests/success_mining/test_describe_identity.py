from app.success import mining


def test_describe_english_topic():
    label, terms, others = mining.describe(
        [
            "Password reset link not working",
            "I forgot my password and the reset link expired",
            "How do I reset my password?",
            "The password reset email never arrives",
            "Паролата не се нулира",
        ],
        ["en", "en", None, "en", "bg"],
    )
    assert "password" in label.lower()
    assert any("reset" in term for term in terms[:3])
    assert set(others) == {"bg"}


def test_describe_cjk_topic_without_spaces():
    label, terms, others = mining.describe(
        ["信用卡還沒有寄到", "我的信用卡什麼時候寄到", "信用卡寄到了嗎", "My credit card has not arrived"],
        ["zh-Hant", "zh-Hant", "zh-Hant", "en"],
    )
    assert "信用卡" in label
    assert "信用卡" in terms
    assert "credit card" in others["en"]


def test_describe_japanese_uses_content_words():
    label, terms, _ = mining.describe(
        ["カードがまだ届きません", "新しいカードが届かない", "カードはいつ届きますか"], ["ja", "ja", "ja"]
    )
    assert label.startswith("カード")
    assert all(not term.startswith(("が", "は", "を")) for term in terms)


def test_describe_empty_and_blank():
    assert mining.describe([], []) == ("", [], {})
    label, terms, _ = mining.describe(["", "   "], [None, None])
    assert label == "" and terms == []


def test_match_topics_keeps_identity():
    previous = [(10, {1, 2, 3, 4}), (11, {5, 6, 7}), (12, {8, 9})]
    # 11 grew, 10 lost a ticket and gained two, 12 vanished, a new cluster appeared.
    current = [{5, 6, 7, 20, 21, 22, 23}, {1, 2, 3, 30, 31}, {40, 41, 42}]
    assert mining.match_topics(previous, current) == {0: 11, 1: 10}


def test_match_topics_split_keeps_identity_for_the_larger_part_only():
    previous = [(7, set(range(10)))]
    current = [{0, 1, 2}, {3, 4, 5, 6, 7, 8, 9}]
    assert mining.match_topics(previous, current) == {1: 7}


def test_match_topics_merge_is_one_to_one():
    previous = [(1, {1, 2, 3}), (2, {4, 5, 6, 7})]
    assert mining.match_topics(previous, [{1, 2, 3, 4, 5, 6, 7}]) == {0: 2}
    assert mining.match_topics([], [{1}]) == {}
    assert mining.match_topics(previous, []) == {}


def test_describe_keeps_katakana_words_whole():
    label, terms, _ = mining.describe(
        ["アップデート後にエクスポートが空になる", "エクスポートが空です、アップデートのせい？", "アップデートしたらエクスポートできない"],
        ["ja", "ja", "ja"],
    )
    assert {"アップデート", "エクスポート"} <= set(terms)
    assert not any(term in {"アップデ", "エクスポ", "クスポー"} for term in terms)
    assert "エクスポート" in label


def test_describe_pairs_only_neighbouring_words():
    label, terms, _ = mining.describe(
        ["Nothing changed on our side, but the API returns 500",
         "The API returns an error since Monday, nothing on our side changed",
         "API returns 500 for every call"],
        ["en", "en", "en"],
    )
    assert "api returns" in terms
    assert "nothing side" not in terms and "anything side" not in terms
    assert label.lower().startswith("api returns")


def test_describe_prefers_words_other_topics_do_not_share():
    topic = ["Good morning, the invoice PDF is blank", "Good morning, invoice PDF shows nothing",
             "Good morning! Our invoice PDF is empty again"]
    everyone = topic + ["Good morning, the app crashes on start", "Good morning, cannot sign in",
                        "Good morning, export is slow", "Good morning, password reset link expired"]
    label, terms, _ = mining.describe(topic, ["en"] * 3, mining.background(everyone, ["en"] * len(everyone)))
    assert label.lower().startswith("invoice pdf")
    assert terms.index("invoice pdf") < terms.index("good morning")
    # Without the other topics the greeting is as common as the problem.
    plain, _, _ = mining.describe(topic, ["en"] * 3)
    assert "good morning" in plain.lower()
