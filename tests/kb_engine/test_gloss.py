"""Chinese questions glossed into English with CC-CEDICT (what MiniLM reads for them)."""

from app.nlp import gloss


def test_words_are_found_by_longest_match_and_glossed():
    words = gloss.english("我的退款什麼時候到帳").split()
    assert "refund" in " ".join(words)
    # 帳戶 is one word (account), not 帳 + 戶.
    assert "account" in gloss.english("我想關閉我的帳戶")
    assert gloss.english("匯率") == "exchange rate"


def test_simplified_is_read_as_traditional():
    assert gloss.english("銀行卡被凍結了") == gloss.english("银行卡被冻结了")
    assert "account" in gloss.english("我想关闭我的账户")
    # 后 and 余 are also Traditional words of their own (empress, I): in context they are 後, 餘.
    assert gloss.english("收到后余额不对") == gloss.english("收到後餘額不對") == "to receive back balance incorrect"


def test_names_cross_references_and_chinese_in_senses_are_not_glosses():
    # A word's own entry beats a name written the same (CEDICT lists Wang3 luo4, the Internet, first).
    assert gloss.english("網絡") == "network" and gloss.english("比") == "to compare"
    for text in ("啥", "什么", "咋办"):  # CEDICT: "dialectal equivalent of 什麼|什么"
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in gloss.english(text)), text
    assert "variant" not in gloss.english("野") and "variant" not in gloss.english("裏")


def test_full_width_latin_and_digits_are_kept():
    assert gloss.english("ＡＴＭ不給我錢１２３４").split()[0] == "ATM"
    assert gloss.english("ＡＴＭ不給我錢１２３４").split()[-1] == "1234"


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


def test_a_damaged_dictionary_file_is_no_dictionary(monkeypatch, tmp_path):
    (tmp_path / "tandem_damaged_cedict").mkdir()
    (tmp_path / "tandem_damaged_cedict" / "cedict.txt.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip at all")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(gloss, "DATA", ("tandem_damaged_cedict", "cedict.txt.gz"))
    monkeypatch.setattr(gloss.log, "warning", lambda message, *args: None)
    assert gloss._dictionary.__wrapped__() == {}
