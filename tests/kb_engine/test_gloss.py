"""Chinese questions glossed into English with CC-CEDICT (what MiniLM reads for them)."""

from app.nlp import gloss


def test_words_are_found_by_longest_match_and_glossed():
    words = gloss.english("我的退款什麼時候到帳").split()
    assert "refund" in " ".join(words)
    # 帳戶 is one word (account), not 帳 + 戶.
    assert "account" in gloss.english("我想關閉我的帳戶")
    assert gloss.english("匯率") == "exchange rate"


def test_traditional_and_simplified_are_both_glossed():
    assert gloss.english("銀行卡被凍結了") == gloss.english("银行卡被冻结了")
    assert "account" in gloss.english("我想关闭我的账户")


def test_particles_are_left_out_and_latin_words_kept():
    assert gloss.english("卡呢") == gloss.english("卡")
    text = gloss.english("ATM不給我錢，PIN 1234 錯了嗎？")
    assert text.startswith("ATM ") and " PIN 1234 " in f" {text} "
    assert "mistake" in text


def test_text_without_chinese_has_no_gloss():
    for text in ("", "   ", "🙂🔥", "パスワード", "Где моя карта?"):
        assert gloss.english(text) == ""
    assert gloss.english("Where is my card?") == "Where is my card"  # Latin words as written


def test_without_the_dictionary_nothing_is_glossed(monkeypatch):
    logged = []
    monkeypatch.setattr(gloss, "DATA", ("tandem_no_such_package", "data/cedict.txt.gz"))
    monkeypatch.setattr(gloss.log, "warning", lambda message, *args: logged.append(message % args))
    assert gloss._dictionary.__wrapped__() == {}
    assert logged[0].startswith("CC-CEDICT is not available, Chinese questions are not glossed")
