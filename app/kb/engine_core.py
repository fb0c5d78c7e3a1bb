"""Search scoring without a database: index entries in, ranked article positions out.

`app.kb.engine` stores the entries in the database and keeps a `Corpus` per process; the relevance
benchmark feeds the same functions directly. Signals, fused per query:
- BM25 over stemmed words / CJK bigrams (`terms`) and over character trigrams (`grams`, typos);
- multilingual-e5-small and USE-multilingual cosine between the query and each passage of the
  article (title, then its lines/sentences), the article taking its best passage. e5 vectors are
  centred per language (mean of hand-written parallel sentences, `app.nlp.centres`) so a Russian
  question is not pulled towards Russian articles merely for being Russian. Chinese is encoded in
  Simplified characters (`app.nlp.script`).
"""

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from app.nlp import centres, encoders, script
from app.nlp.lang import base_language, detect
from app.nlp.text import tokenize

MAX_PASSAGES = 8          # title + up to 7 lines/sentences of the body
MAX_PASSAGE_CHARS = 400
MAX_QUERY_CHARS = 1000

# Fusion: semantic signals averaged with these weights, lexical ones added as a bonus within one
# language (chosen with `bench/kb_relevance.py --grid`; a broad optimum, not a per-dataset setting).
W_TERMS = 0.15
W_GRAMS = 0.10
W_E5 = 1.0
W_USE = 0.6
LOCALE_BOOST = 0.20       # added to matching articles in the searcher's language (ranks them first, hides none)
MIN_SCORE = 0.15          # fused score below which an article is not a match (unrelated queries score < 0.1)

# Large indexes: the whole-article vectors (mean of its passages) shortlist candidates, and only
# their passages are scored. Reading every passage vector is what a search spends its time on at
# scale (memory-bound: 340 MB per query at 20,000 articles); below this many passages every
# passage is scored and results are exact.
SHORTLIST_FROM_PASSAGES = 20_000
SHORTLIST = 300
# The shortlist itself reads the whole-article vectors on their leading principal axes only: 72 MB
# a query at 20,000 articles became 20 MB, which stays in the processor's cache.
SHORTLIST_AXES = 128

BM25_K1 = 1.2
BM25_B = 0.75

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")
_MD_INLINE = re.compile(r"[*_`~|]+")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


def plain_lines(body):
    """Markdown body → non-empty plain-text lines (headings, list items and paragraphs)."""
    lines, fenced = [], False
    for raw in (body or "").splitlines():
        if raw.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        line = _MD_INLINE.sub("", _MD_MARKS.sub("", _MD_LINK.sub(r"\1", raw))).strip()
        if line:
            lines.append(line)
    return lines


def passages(title, body):
    """The texts an article is embedded as: its title, then lines, long lines cut into sentences."""
    out = [(title or "").strip()[:MAX_PASSAGE_CHARS]]
    for line in plain_lines(body):
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


def build_entries(docs):
    """docs: iterable of (article_id, title, body, locale) → list of Entry, encoded in one batch."""
    docs = list(docs)
    languages = [base_language(locale) or detect(f"{title} {body}") for _id, title, body, locale in docs]
    all_passages, spans = [], []
    for (_id, title, body, _locale), language in zip(docs, languages):
        ps = [script.for_encoder(p, language) for p in passages(title, body)]
        spans.append((len(all_passages), len(all_passages) + len(ps)))
        all_passages.extend(ps)
    e5, use = encoders.e5_query_and_use(all_passages)
    entries = []
    for (article_id, title, body, locale), language, (a, b) in zip(docs, languages, spans):
        # The title counts twice in the word index: it is what the article is about.
        terms_t, grams_t = tokenize(title, language)
        terms_b, grams_b = tokenize(body, language)
        entries.append(Entry(article_id, locale or "", title or "", terms_t * 2 + terms_b, grams_t + grams_b,
                             e5[a:b], use[a:b]))
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


@functools.lru_cache(maxsize=2048)
def _encode_query(query, language):
    """(e5, USE) vectors of a query. Encoding is most of a search's time, and the same text comes
    back often: a suggestion followed by the search, popular questions, a page reloaded."""
    text = script.for_encoder(query, language)
    e5, use = (rows[0] for rows in encoders.e5_query_and_use([text]))
    e5.flags.writeable = use.flags.writeable = False
    return e5, use


def encode_queries(queries, languages):
    """(e5, USE) rows for many queries at once, encoded as a search encodes one (benchmarks)."""
    return encoders.e5_query_and_use([script.for_encoder(q, lang) for q, lang in zip(queries, languages)])


def _unit(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _principal_axes(rows, k):
    """(axes d×k, rows on them n×k): the k directions that carry most of the rows' spread."""
    _, vectors = np.linalg.eigh((rows.T @ rows).astype(np.float64))
    axes = np.ascontiguousarray(vectors[:, ::-1][:, :k], dtype=np.float32)
    return axes, np.ascontiguousarray(rows @ axes)


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
        self.owner = np.repeat(np.arange(self.n), counts).astype(np.int32)
        self.counts = np.array(counts, dtype=np.float32)
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if self.n else np.zeros(0, np.int64)
        if self.n:
            langs = np.repeat(np.array(self.languages, dtype=object), counts)
            e5 = centres.centre_rows(np.concatenate([e.e5 for e in self.entries]), langs)
            use = _unit(np.concatenate([e.use for e in self.entries]).astype(np.float32))
            # Removing the index's own mean direction (what every article shares) sharpens the
            # differences between articles; queries get the same shift.
            self.e5_mean = e5.mean(axis=0)
            self.use_mean = use.mean(axis=0)
            self.e5 = _unit(e5 - self.e5_mean)
            self.use = _unit(use - self.use_mean)
            # mean(passages) . q is exactly the mean of the passage similarities, the half of the
            # article's score that needs no passage; the other half (its best passage) is >= it.
            self.art_e5 = np.add.reduceat(self.e5, self.starts) / self.counts[:, None]
            self.art_use = np.add.reduceat(self.use, self.starts) / self.counts[:, None]
        else:
            self.e5_mean = np.zeros(encoders.E5_DIM, np.float32)
            self.use_mean = np.zeros(encoders.USE_DIM, np.float32)
            self.e5 = np.zeros((0, encoders.E5_DIM), np.float32)
            self.use = np.zeros((0, encoders.USE_DIM), np.float32)
            self.art_e5, self.art_use = self.e5, self.use
        self.shortlisting = len(self.e5) >= SHORTLIST_FROM_PASSAGES
        if self.shortlisting:
            self.axes_e5, self.coarse_e5 = _principal_axes(self.art_e5, SHORTLIST_AXES)
            self.axes_use, self.coarse_use = _principal_axes(self.art_use, SHORTLIST_AXES)

    def _per_article(self, sims):
        """Best passage plus the mean over passages: the best match, steadied by the whole article."""
        if not self.n:
            return sims
        best = np.maximum.reduceat(sims, self.starts)
        mean = np.add.reduceat(sims, self.starts) / self.counts
        return (best + mean) / 2

    def signals(self, query, language, vectors=None):
        """Per-article raw signals for one query, every passage scored: dict name → float32 array (n,).

        `vectors`: the query's (e5, USE) vectors when already encoded (batch benchmarks).
        """
        q_e5, q_use = self._query_vectors(query, language, vectors)
        return {
            **self._lexical(query, language),
            "e5": self._per_article(self.e5 @ q_e5),
            "use": self._per_article(self.use @ q_use),
        }

    def _query_vectors(self, query, language, vectors):
        if vectors is None:
            vectors = _encode_query(query, language)
        q_e5 = _unit(centres.centre_rows(vectors[0][None, :], [language])[0] - self.e5_mean)
        q_use = _unit(np.asarray(vectors[1], dtype=np.float32) - self.use_mean)
        return q_e5, q_use

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

    def _shortlisted_fused(self, query, language, vectors, weights, boost, allowed):
        """Fused scores, exact for the SHORTLIST best articles by their whole-article vectors (on
        their principal axes), with and without the locale boost; the others are not candidates
        (-inf)."""
        q_e5, q_use = self._query_vectors(query, language, vectors)
        lexical = self._lexical(query, language)
        signals = {**lexical, "e5": self.coarse_e5 @ (self.axes_e5.T @ q_e5),
                   "use": self.coarse_use @ (self.axes_use.T @ q_use)}
        coarse = self.fuse(signals, weights)
        if allowed is not None:
            coarse = np.where(allowed, coarse, -np.inf)
        k = min(SHORTLIST, self.n)
        if k < self.n:
            # The best with the searcher's language boost and the best without it, so the boost
            # reorders the results but never pushes a better article in another language out.
            picked = np.union1d(np.argpartition(-coarse, k - 1)[:k], np.argpartition(-(coarse + boost), k - 1)[:k])
        else:
            picked = np.arange(self.n)
        counts = self.counts[picked].astype(np.int64)
        starts = np.repeat(self.starts[picked] - np.cumsum(counts) + counts, counts)
        rows = starts + np.arange(int(counts.sum()))
        bounds = np.concatenate([[0], np.cumsum(counts)[:-1]])
        exact = {name: values[picked] for name, values in lexical.items()}
        for name, articles, matrix, q in (("e5", self.art_e5, self.e5, q_e5), ("use", self.art_use, self.use, q_use)):
            best = np.maximum.reduceat(matrix[rows] @ q, bounds)
            exact[name] = (best + articles[picked] @ q) / 2
        fused = np.full(self.n, -np.inf, dtype=np.float32)
        fused[picked] = self.fuse(exact, weights)
        return fused

    def _language_mask(self, language):
        mask = self._masks.get(language)
        if mask is None:
            mask = np.array([lg is None or lg == language for lg in self.languages], dtype=np.float32)
            self._masks[language] = mask
        return mask

    @staticmethod
    def fuse(signals, weights=None):
        """Weighted mean of the semantic signals, plus the lexical ones as a bonus: an article that
        also matches the words ranks higher, and one in another language is not penalised."""
        w = weights or {"terms": W_TERMS, "grams": W_GRAMS, "e5": W_E5, "use": W_USE}
        semantic = {k: w[k] for k in ("e5", "use") if w.get(k)}
        total = sum(semantic.values())
        score = sum(v * signals[k] for k, v in semantic.items()) / total if total else 0.0
        for k in ("terms", "grams"):
            if w.get(k):
                score = score + w[k] * signals[k]
        return score

    def rank(self, query, *, locale=None, limit=10, allowed=None, weights=None, min_score=MIN_SCORE, vectors=None):
        """[(position, score)] best first. `allowed`: boolean mask of articles the searcher may see."""
        query = (query or "")[:MAX_QUERY_CHARS]
        if not query.strip() or not self.n or limit <= 0:
            return []
        language = detect(query)
        if language is None or (language == "zh" and base_language(locale) == "ja"):
            # Kanji alone reads as Chinese to the detector; a Japanese searcher wrote Japanese.
            language = base_language(locale)
        searcher = (locale or "").lower()
        boost = LOCALE_BOOST * self._language_mask(base_language(searcher)) if searcher else 0.0
        if self.shortlisting:
            fused = self._shortlisted_fused(query, language, vectors, weights, boost, allowed)
        else:
            fused = self.fuse(self.signals(query, language, vectors), weights)
        # Whether an article matches at all is decided before the locale boost, so the boost
        # reorders matches but never turns an unrelated article in the searcher's language into one.
        matches = fused >= min_score
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
