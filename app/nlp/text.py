"""Language-aware lexical tokens for search.

Two token streams per text:
- `terms`: stemmed words (Snowball for English and Russian, a light suffix stripper for Bulgarian)
  and, for Chinese/Japanese, which have no spaces, character bigrams plus single Han characters;
- `grams`: character trigrams of each word, so a typo still shares most of its grams with the
  right word ("pasword" and "password").
"""

import functools
import re
import unicodedata

import snowballstemmer

from app.nlp.lang import cyrillic_language, detect

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYR = re.compile(r"[\u0400-\u04ff]")

# Words too frequent to say anything about a support question.
STOP = {
    "en": set("""a an the and or but if of to in on at by for from with about as into is are was were be been
        being am do does did doing have has had having i me my mine we our you your he she it its they them
        their this that these those there here what which who whom whose how when where why can could would
        should will shall may might must not no so than too very just also any some all can't cannot don't
        doesn't didn't i'm i've it's get got please hi hello thanks thank""".split()),
    "ru": set("""и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее её
        мне было вот от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него
        до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя
        их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой
        совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при
        наконец два об другой хоть после над больше тот через эти нас про всего них какая много разве три
        эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно
        всю между это мою моей свой своей""".split()),
    "bg": set("""и в във на с със за от до по към при че да не ли се си ще са е съм сме сте бил била било били
        аз ти той тя то ние вие те ми ме му ѝ им го я ни ви този тази това тези който която което които
        как какво кога къде защо колко дали но или а ако когато още вече само много мой моя мое моите
        моят моята нещо някой има няма може мога трябва""".split()),
}

_stemmers = {}


def _stemmer(name):
    if name not in _stemmers:
        _stemmers[name] = snowballstemmer.stemmer(name)
    return _stemmers[name]


# Bulgarian has no Snowball stemmer: strip the definite article (-ът/-ят, or -та/-то/-те after a
# vowel: карта-та, село-то, карти-те), then one inflectional ending, keeping at least three letters.
_BG_VOWELS = set("аъоуеиюя")
_BG_ENDINGS = ("ове", "еве", "ия", "ие", "и", "а", "я", "о", "е", "у")


@functools.lru_cache(maxsize=200_000)
def _bg_stem(word):
    if len(word) > 4:
        if word.endswith(("ът", "ят")):
            word = word[:-2]
        elif word.endswith(("та", "то", "те")) and word[-3] in _BG_VOWELS:
            word = word[:-2]
    for ending in _BG_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


@functools.lru_cache(maxsize=200_000)
def _stem(word, language):
    if language == "en":
        return _stemmer("english").stemWord(word)
    if language == "ru":
        return _stemmer("russian").stemWord(word)
    if language == "bg":
        return _bg_stem(word)
    return word


def normalize(text):
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return text.replace("ё", "е")


def _word_language(word, cyrillic_lang):
    if _CYR.search(word):
        return cyrillic_lang
    return "en"


def tokenize(text, language=None):
    """Return (terms, grams) for `text`; `language` (a base code) picks the Cyrillic stemmer."""
    text = normalize(text)
    if not text.strip():
        return [], []
    cyrillic_lang = language if language in ("ru", "bg") else None
    if cyrillic_lang is None and _CYR.search(text):
        cyrillic_lang = cyrillic_language(text)
    terms, grams = [], []
    for run in _CJK_RUN.findall(text):
        chars = list(run)
        terms.extend(a + b for a, b in zip(chars, chars[1:]))
        terms.extend(ch for ch in chars if _HAN.match(ch))
    rest = _CJK_RUN.sub(" ", text)
    for word in _WORD.findall(rest):
        lang = _word_language(word, cyrillic_lang)
        if word in STOP.get(lang, ()):
            continue
        terms.append(_stem(word, lang))
        if len(word) >= 4 and not word.isdigit():
            padded = f"#{word}#"
            grams.extend(padded[i:i + 3] for i in range(len(padded) - 2))
    return terms, grams


def language_of(text, locale=None):
    """The base language of a text: its locale when known, else a guess from its script."""
    from app.nlp.lang import base_language

    return base_language(locale) or detect(text)
