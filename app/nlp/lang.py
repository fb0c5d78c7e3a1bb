"""Script-based language guess for short texts (search queries, article bodies).

Good enough to pick a stemmer and a language centre for the sentence vectors; it never decides
what a searcher may see. Returns one of "en", "ru", "bg", "zh", "ja", or None when nothing is
recognisable (digits, emoji, punctuation).
"""

import re

_HIRAGANA_KATAKANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYR_WORD = re.compile(r"[\u0400-\u04ff]+")

# Letters Russian has and Bulgarian lacks, and the reverse (ъ inside a word, common short words).
_RU_ONLY = set("ыэё")
_BG_WORDS = {"ще", "са", "във", "със", "какво", "защо", "кога", "къде", "може", "моята", "моят",
             "мога", "съм", "няма", "искам", "тази", "този", "които", "колко", "трябва", "вече",
             "още", "дали", "сметка", "картата", "парите"}
_RU_WORDS = {"что", "как", "почему", "когда", "где", "можно", "мне", "это", "уже", "ещё", "еще",
             "нет", "мой", "моя", "моей", "мою", "свою", "есть", "был", "была", "деньги", "счёт",
             "счет", "карта", "карту", "хочу", "нужно", "сколько", "чтобы"}


def detect(text):
    if not text:
        return None
    if _HIRAGANA_KATAKANA.search(text):
        return "ja"
    han = len(_HAN.findall(text))
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if han and han >= max(cyr, lat) / 4:
        return "zh"
    if cyr and cyr >= lat:
        return cyrillic_language(text)
    if lat:
        return "en"
    if han:
        return "zh"
    return None


def cyrillic_language(text):
    """Russian or Bulgarian, from letters and frequent words."""
    lowered = text.lower()
    if any(ch in _RU_ONLY for ch in lowered):
        return "ru"
    words = _CYR_WORD.findall(lowered)
    bg = ru = 0
    for w in words:
        if "ъ" in w[:-1] or w.endswith(("ът", "ят")):
            bg += 2
        if w in _BG_WORDS:
            bg += 1
        if w in _RU_WORDS:
            ru += 1
    return "bg" if bg > ru else "ru"


def base_language(locale):
    """`zh-Hant` → `zh`, `en-GB` → `en`; None stays None."""
    if not locale:
        return None
    return locale.replace("_", "-").split("-")[0].lower() or None
