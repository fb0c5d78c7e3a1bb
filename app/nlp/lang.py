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
CYRILLIC = ("ru", "bg")
# The searcher's language settles a text of up to SHORT words unless the model is at least SURE of
# the other ("кредитна карта" scores about 0.8; one word can be either). Longer text is the
# model's alone: it was right on every public Russian and Bulgarian question, where a hint in the
# other language applied at any length turned one in seven.
SHORT = 3
SURE = 0.9


def detect(text, hint=None):
    """The base language of `text`; `hint` (a base code, e.g. the searcher's) breaks ties:
    Russian/Bulgarian when the text is not clearly the other, Japanese for Han characters alone."""
    if not text:
        return None
    if _HIRAGANA_KATAKANA.search(text):
        return "ja"
    han = len(_HAN.findall(text))
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if han and han >= max(cyr, lat) / 4:
        # Kanji alone reads as Chinese; a Japanese searcher wrote Japanese.
        return "ja" if hint == "ja" else "zh"
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
