"""Chinese in one script or the other: Simplified for the sentence encoders, Traditional for the
dictionary that glosses it (`app.nlp.gloss`).

Both encoders learned Chinese mostly from Simplified text, so a question written in Traditional
characters lands farther from its meaning than the same question in Simplified (measured on the
relevance benchmark: Traditional Chinese questions → English articles, R@1 0.545 → 0.610 with the
queries converted). Only the encoders' input is converted; the word index keeps the text as written.
"""

from app.core.loading import once


@once
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@once
def _s2tw():
    import opencc

    return opencc.OpenCC("s2tw")  # characters only: its Taiwan phrases would rewrite 綁定 as 繫結


def for_encoder(text, language):
    """`text` as the encoders should see it; `language` is the base language ("zh", "en", …)."""
    if language != "zh" or not text:
        return text
    return _t2s().convert(text)


def traditional(text):
    """Chinese `text` in Traditional characters (Taiwan's forms; text already Traditional stays).
    A Simplified character can stand for several Traditional ones; OpenCC picks by the words around
    it (后 → 後 in 收到后)."""
    return _s2tw().convert(text) if text else text
