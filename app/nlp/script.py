"""What the sentence encoders are given: Chinese in Simplified characters.

Both encoders learned Chinese mostly from Simplified text, so a question written in Traditional
characters lands farther from its meaning than the same question in Simplified (measured on the
relevance benchmark: Traditional Chinese questions → English articles, R@1 0.545 → 0.610 with the
queries converted). Only the encoders' input is converted; the word index keeps the text as written.
"""

import threading

_lock = threading.Lock()
_converter = None


def _t2s():
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return _converter


def for_encoder(text, language):
    """`text` as the encoders should see it; `language` is the base language ("zh", "en", …)."""
    if language != "zh" or not text:
        return text
    return _t2s().convert(text)
