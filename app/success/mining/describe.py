"""Readable labels and key terms for one topic's tickets, in any of Tandem's languages.

Latin and Cyrillic text is split into words (minus stop words); Chinese and Japanese have no
spaces, so candidate terms are runs of Han characters cut into 2–4 character n-grams, katakana
runs kept whole (hiragana is mostly grammar in Japanese, so it separates terms). A term scores by
how many of the topic's tickets contain it, weighed down when tickets of every topic contain it
("good morning", "since yesterday": `background`); longer terms win over the pieces they contain
when equally common.
"""

import math

import re
from collections import Counter

from .language import detect_language

_STOP = {
    "en": set(
        """a about above after again all am an and any are as at be been being but by can
        cannot could did do does doing don't done for from get got had has have having he her here
        hi hello how i i'm i've if in into is it it's its just me might more most my myself no not
        now of off on once only or other our out over own please same she should so some still such
        than thank thanks that the their them then there these they this those through to too
        under until up us very was we were what when where which while who why will with would
        yet you your yours can't won't isn't didn't doesn't haven't there's what's help need want
        like also one way know tell today yesterday already im ive dont cant""".split()
    ),
    "ru": set(
        """а без более бы был была были было быть в вам вас весь во вот все всё всего вы где да
        даже для до его ее её если есть еще ещё же за здесь и из или им их к как когда кто ли
        либо мне может мой моя мы на над не нет ни но ну о об однако он она они оно от очень по
        под при с со так также такой там те тем то того тоже той только том ты у уже хотя чего
        чей чем что чтобы чье эта эти это я мой моей моё мою мои моих меня можно нужно почему
        пожалуйста здравствуйте спасибо сейчас""".split()
    ),
    "bg": set(
        """а без бъде бе би бил била били било в вас ви все всички във да до е ето за защо и из
        или им има как като каква какво кога коя които който кой към ли ме между мен ми може
        моя моят мой моите на над не ни но няма о от по под при с са си след сме съм също та
        така там те ти то това този тук тя у че ще я моля здравейте благодаря още""".split()
    ),
}
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9fー]+")
_SCRIPT_PART = re.compile(r"[\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9fー]+|[^\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9fー]+")
_KATAKANA_PART = re.compile(r"[\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9fー]+")
_HAN_STOP = set("的了我你他她它是在有和就都也嗎吗呢吧啊麼么什怎如何為为這这那個个們们要會会能可以請请")
MAX_TERMS = 8


def _base(lang):
    return (lang or "en").split("-")[0].lower()


def _is_cjk(lang):
    return _base(lang) in {"zh", "ja", "ko"}


def _terms(text, lang):
    """The distinct candidate terms of one ticket (a set: scores count tickets, not repeats)."""
    text = (text or "")[:5000]
    if _is_cjk(lang):
        terms = set()
        for run in _CJK_RUN.findall(text):
            for part in _SCRIPT_PART.findall(run):
                if _KATAKANA_PART.fullmatch(part):
                    # A katakana run is one loanword (アップデート); pieces of it read as nonsense.
                    if len(part) >= 2 and not part.startswith("ー"):
                        terms.add(part)
                    continue
                for n in (2, 3, 4):
                    for i in range(len(part) - n + 1):
                        gram = part[i : i + n]
                        if gram[0] in _HAN_STOP or gram[-1] in _HAN_STOP:
                            continue
                        terms.add(gram)
        return terms
    stop = _STOP.get(_base(lang), _STOP["en"])
    words = [w.lower() for w in _WORD.findall(text)]
    kept = [len(w) > 1 and w not in stop for w in words]
    terms = {w for w, keep in zip(words, kept) if keep}
    # Pairs of neighbouring words only: "api returns", never "anything side" out of "anything on our side".
    terms.update(f"{a} {b}" for a, b, ka, kb in zip(words, words[1:], kept, kept[1:]) if ka and kb and a != b)
    return terms


def background(texts: list[str], languages: list[str | None]) -> dict:
    """{language: (tickets, Counter of the tickets containing each term)} over a sample of all
    tickets, for `describe`: what every topic says is no key term of any."""
    out = {}
    for text, lang in zip(texts, languages):
        lang = lang or detect_language(text) or "en"
        n, df = out.setdefault(lang, [0, Counter()])
        df.update(_terms(text, lang))
        out[lang][0] = n + 1
    return {lang: (n, df) for lang, (n, df) in out.items()}


def key_terms(texts: list[str], lang: str | None, limit: int = MAX_TERMS, background=None) -> list[str]:
    """The terms most of these tickets share and other tickets do not, best first."""
    counts = Counter()
    for text in texts:
        counts.update(_terms(text, lang))
    if not counts:
        return []
    floor = 2 if len(texts) >= 4 else 1
    n_bg, df_bg = (background or {}).get(lang, (0, Counter()))

    # A longer term is as good as its pieces when almost as many tickets contain it.
    def score(item):
        term, count = item
        size = len(term) if _is_cjk(lang) else len(term.split())
        rarity = math.log((n_bg + 1) / (df_bg.get(term, 0) + 1)) + 1 if n_bg else 1.0
        return count * (1 + 0.25 * (size - 1)) * rarity

    ranked = sorted((item for item in counts.items() if item[1] >= floor), key=lambda it: (-score(it), it[0]))
    chosen = []
    for term, count in ranked:
        # Skip a piece of an already chosen longer term, and a shorter term covered by a chosen one.
        if any(term in other or other in term for other in chosen):
            continue
        chosen.append(term)
        if len(chosen) >= limit:
            break
    return chosen


def describe(texts: list[str], languages: list[str | None], background=None) -> tuple[str, list[str], dict[str, list[str]]]:
    """(label, key terms, {other language: key terms}) for one topic, in its majority language.

    `background`: what `background()` gave for a sample of all tickets (optional)."""
    texts = [t or "" for t in texts]
    langs = [lang or detect_language(text) or "en" for text, lang in zip(texts, list(languages) + [None] * len(texts))]
    if not texts:
        return "", [], {}
    by_lang = {}
    for text, lang in zip(texts, langs):
        by_lang.setdefault(lang, []).append(text)
    main = max(by_lang, key=lambda lang: (len(by_lang[lang]), lang == "en"))
    terms = key_terms(by_lang[main], main, background=background)
    others = {lang: key_terms(group, lang, background=background) for lang, group in by_lang.items() if lang != main}
    label = _label(terms, main)
    return label, terms, others


def _label(terms, lang):
    if not terms:
        return ""
    picked = terms[:2]
    joiner = "、" if _is_cjk(lang) else ", "
    label = joiner.join(picked)
    return label[:1].upper() + label[1:]
