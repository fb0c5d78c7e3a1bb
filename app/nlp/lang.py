"""Language guess for short texts (search queries, article bodies, tickets).

Picks a stemmer and a language centre for the sentence vectors; it never decides what a searcher
may see. Returns one of "en", "ru", "bg", "zh", "ja", or None when nothing is recognisable
(digits, emoji, punctuation). The script decides, except between Russian and Bulgarian, which
share one: there spelling only one of them has, else py3langid's character n-gram model
restricted to the two (word lists took about one Bulgarian question in five for Russian). A query
of a few words can be either; `hint`, the searcher's language, settles it unless the model is sure.
"""

import re

from app.core.loading import once

_HIRAGANA_KATAKANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

# Spelling only one of the two has, which settles it without the model: ы, э, ё and the hard sign
# before я (объясните) are Russian; ъ before a consonant or at a word's end is the Bulgarian vowel
# (към, пъти). Both write ъ before е and ю (объект; съюз, съединение): the model decides those.
_RU_SPELLING = re.compile(r"[ыэё]|ъя")
_BG_SPELLING = re.compile(r"ъ(?![аеёиоуъыэюя])|ѝ")
# Kanji that only Japanese writes (its simplified shinjitai and its own kokuji: 変, 発, 続, 込, 働).
# CC-CEDICT gives each, in every entry, first as a Japanese variant or kokuji; the six it lacks come
# from OpenCC's jp2t table; none is a form OpenCC's Chinese tables write (so Hong Kong's 閲 and 鋭
# are left out). One of them tells a question in kanji alone (暗証番号変更) from Chinese: none is in
# the public Chinese questions, 113 of the 403 Japanese ones hold one. Most kanji are shared
# (口座残高確認): those stay Chinese unless the searcher writes Japanese.
JAPANESE_ONLY_KANJI = frozenset(
    "両乗亜仏仮価倹働児剣剤剰労勧匁単厳呉唖喩営団囲図圏圧塁塩増壊壌壱売変奨娯嬢実寛対専尭巌巣巻帯帰庁広廃弐弾徳徴応恵悩悪懐戦"
    "戻抜択拝拠拡挙挿捜掲掻揺摂撃撹斎暁暦曽査栄桜桝桟検楽榊様槙歯歳毎気沢浄涙渇済渉渋渓満滝瀬犠猟獣産畳痩発県穂穏穣竜籖粋粛経"
    "絵継続総緑縁縄繊繍聴脳臓舎舗荘蔵薫薬蛍蝋螥覚覧観訳読謡譲転軽辺込逓遅郷酔醤醸釈鉱銭鋳錬録闘陥険隠雑霊顔顕駄駅騒験髪"
    "鴎鶏鹸黒黙齢"
)
CYRILLIC = ("ru", "bg")
# The searcher's language settles a text of up to SHORT words unless the model is at least SURE of
# the other ("кредитна карта" scores about 0.8; one word can be either). Longer text is the
# model's alone: it was right on every public Russian and Bulgarian question, where a hint in the
# other language applied at any length turned one in seven.
SHORT = 3
SURE = 0.9


def detect(text, hint=None):
    """The base language of `text`; `hint` (a base code, e.g. the searcher's) breaks ties:
    Russian/Bulgarian when the text is not clearly the other, Japanese for kanji alone that Chinese
    also writes."""
    if not text:
        return None
    if _HIRAGANA_KATAKANA.search(text):
        return "ja"
    han = len(_HAN.findall(text))
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if han and han >= max(cyr, lat) / 4:
        # Kanji alone reads as Chinese, unless one is Japanese only or a Japanese searcher wrote it.
        return "ja" if hint == "ja" or not JAPANESE_ONLY_KANJI.isdisjoint(text) else "zh"
    if cyr and cyr >= lat:
        return cyrillic_language(text, hint)
    if lat:
        return "en"
    if han:
        return "zh"
    return None


@once
def _cyrillic_model():
    # At the first Cyrillic text its spelling does not settle: about 1 s and 80 MB.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    model.set_languages(list(CYRILLIC))
    return model


def warm():
    """Load the Russian/Bulgarian model now rather than at the first text that needs it."""
    _cyrillic_model()


def cyrillic_language(text, hint=None):
    """Russian or Bulgarian; `hint` (a base code) as in `detect`."""
    lowered = text.lower()
    ru, bg = _RU_SPELLING.search(lowered), _BG_SPELLING.search(lowered)
    if ru and not bg:
        return "ru"
    if bg and not ru:
        return "bg"
    language, confidence = _cyrillic_model().classify(text)
    if hint in CYRILLIC and language != hint and confidence < SURE and len(text.split()) <= SHORT:
        return hint
    return language


def base_language(locale):
    """`zh-Hant` → `zh`, `en-GB` → `en`; None stays None."""
    if not locale:
        return None
    return locale.replace("_", "-").split("-")[0].lower() or None
