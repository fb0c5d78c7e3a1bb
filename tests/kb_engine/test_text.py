"""Tokenizer and language guess: the lexical half of the engine, without a database."""

from app.kb.engine_core import passages, query_language
from app.nlp.lang import detect
from app.nlp.text import tokenize


def test_language_guess_by_script():
    assert detect("Where is my card?") == "en"
    assert detect("Где моя карта?") == "ru"
    assert detect("Къде е картата ми? Още не е пристигнала.") == "bg"
    assert detect("我的卡還沒到") == "zh"
    assert detect("カードがまだ届きません") == "ja"
    assert detect("🙂 123 !!!") is None


def test_bulgarian_questions_without_telltale_words_are_bulgarian():
    # Written for this test; the word lists used before took some of these for Russian.
    for text in ("Как да сменя паролата на профила?",
                 "Таксуван съм два пъти за една поръчка",
                 "Колко време отнема превод към друга банка?",
                 "Не мога да вляза в приложението от новия телефон"):
        assert detect(text) == "bg", text
    for text in ("Как поменять пароль в профиле?",
                 "Сколько времени занимает перевод в другой банк?",
                 "Не могу войти в приложение с нового телефона"):
        assert detect(text) == "ru", text


def test_searchers_language_settles_a_short_cyrillic_query():
    # "карта" and "кредитна карта" are words in both languages' spelling or close to it.
    assert detect("карта", hint="ru") == "ru"
    assert detect("карта", hint="bg") == "bg"
    assert query_language("кредитна карта", "ru-RU") == "ru"
    assert query_language("кредитна карта", "bg") == "bg"
    # A whole question is the model's alone, whatever the searcher's language (this one has no
    # spelling only one language uses, and the model is about 80% sure).
    assert detect("Как да сменя паролата на профила?", hint="ru") == "bg"
    assert detect("Как поменять пароль в профиле?", hint="bg") == "ru"
    # Kanji alone: Chinese, unless the searcher writes Japanese.
    assert query_language("暗証番号", "ja") == "ja"
    assert query_language("暗証番号", None) == "zh"
    # Nothing recognisable: the searcher's language.
    assert query_language("123", "bg") == "bg"


def test_kanji_only_japanese_writes_mark_a_kanji_only_question_as_japanese():
    # 変 (Chinese 變/变), 込 (a Japanese-made character), 両 and 発: Japanese whoever searches.
    for text in ("暗証番号変更", "振込手数料", "両替手数料", "請求書発行"):
        assert query_language(text, None) == "ja", text
        assert query_language(text, "zh-Hant") == "ja", text
    # Kanji both write stay Chinese, in Traditional or Simplified characters.
    for text in ("口座残高確認", "修改密碼", "修改密码", "轉帳手續費", "发票下载", "账户被冻结"):
        assert query_language(text, None) == "zh", text


def test_japanese_only_kanji_are_no_chinese_words():
    import gzip
    import re
    from importlib import resources

    import opencc

    from app.nlp.gloss import DATA
    from app.nlp.lang import JAPANESE_ONLY_KANJI

    entry = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
    with resources.files(DATA[0]).joinpath(DATA[1]).open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            match = entry.match(line.rstrip("\n"))
            if match is None:
                continue
            traditional, simplified, senses = match.groups()
            if JAPANESE_ONLY_KANJI.intersection(traditional + simplified):
                # Only as a one-character entry that is first of all a Japanese variant or kokuji.
                assert len(traditional) == 1 and re.match(r"Japanese variant of |\(Japanese kokuji\)", senses), line
    # Nor a form Chinese writes: no Traditional (Taiwan, Hong Kong) or Simplified conversion gives one.
    every = [chr(c) for c in range(0x3400, 0xA000)]
    for config in ("s2t", "t2s", "s2tw", "t2tw", "s2hk", "t2hk", "tw2s", "hk2s"):
        converted = opencc.OpenCC(f"{config}.json").convert("\n".join(every)).split("\n")
        written = set("".join(out for char, out in zip(every, converted) if out != char))
        assert not JAPANESE_ONLY_KANJI & written, (config, "".join(JAPANESE_ONLY_KANJI & written))


def test_hard_sign_spelling_both_languages_use_is_left_to_the_model():
    # Bulgarian writes ъ before ю and е too (съюз, съединение); Russian before я (объясните).
    assert detect("Плащане в евро в рамките на Европейския съюз") == "bg"
    assert detect("Европейски съюз плащане", hint="bg") == "bg"
    assert detect("Моя карта не пришла, объясните") == "ru"


def test_inflected_forms_share_a_stem():
    assert tokenize("refunds", "en")[0] == tokenize("refunded", "en")[0]
    assert tokenize("возвратом", "ru")[0] == tokenize("возврат", "ru")[0]
    assert tokenize("картата", "bg")[0] == tokenize("карта", "bg")[0]


def test_stop_words_are_dropped():
    assert tokenize("the and of", "en") == ([], [])


def test_cjk_text_becomes_character_bigrams():
    terms, _ = tokenize("重設密碼")
    assert {"重設", "設密", "密碼"} <= set(terms)
    terms, _ = tokenize("パスワードを忘れた")
    assert "パス" in terms


def test_typo_shares_most_character_grams():
    _, right = tokenize("password", "en")
    _, typo = tokenize("pasword", "en")
    assert len(set(right) & set(typo)) / len(set(right)) > 0.5


def test_markdown_article_is_cut_into_passages():
    body = "# Heading\n\n- first [step](https://example.com)\n- **second** step\n\n```\ncode\n```\nLast line."
    assert passages("Title", body) == ["Title", "Heading", "first step", "second step", "Last line."]


def test_markup_lines_without_words_are_no_passages():
    # A table's rule row, a horizontal rule and a heading's underline: embedded, such a line matched
    # any question that matched nothing better.
    body = "| Role | Can do |\n|---|---|\n| Viewer | read reports |\n\n***\n\nSetup\n=====\n\n重設密碼\n\n42"
    assert passages("Roles", body) == ["Roles", "Role  Can do", "Viewer  read reports", "Setup", "重設密碼", "42"]


def test_a_table_article_is_no_answer_to_unrelated_questions():
    from app.kb.engine_core import Corpus, build_entries

    from .conftest import FAQ

    table = "| Role | Can do |\n|---|---|\n| Viewer | read dashboards |\n| Admin | everything, including billing |"
    docs = [(i, title, body, locale) for i, (locale, title, body) in enumerate(FAQ)]
    corpus = Corpus(build_entries(docs + [(99, "User roles and permissions", table, "en")]))
    assert [int(corpus.ids[i]) for i, _ in corpus.rank("what can a viewer do")][:1] == [99]
    for unrelated in ("hipaa", "a" * 500):  # both found the table article by its rule row
        assert corpus.rank(unrelated) == [], unrelated
