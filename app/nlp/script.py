"""What the sentence encoders are given: Chinese in Simplified characters.

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


def for_encoder(text, language):
    """`text` as the encoders should see it; `language` is the base language ("zh", "en", …)."""
    if language != "zh" or not text:
        return text
    return _t2s().convert(text)
